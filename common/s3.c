#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <expat.h>
#include <openssl/evp.h>

#include "err.h"
#include "listing.h"
#include "s3.h"
#include "sigv4.h"
#include "units.h"

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define ERROR_BODY_MAX (64 * 1024)
#define BACKOFF_CAP_MS 20000

struct s3 {
	CURL *curl;
	const struct awscfg *cfg;
	struct sigv4 sig;
	char region[64];
	int verbose;
	long clock_offset;	/* seconds to add to the local clock */
	bool skew_fixed, redirected;
	volatile sig_atomic_t *cancel;
	char err[4096];
};

int
s3_parse_url(const char *url, char **bucket, char **key)
{
	const char *b, *slash;

	*bucket = *key = NULL;
	if (strncmp(url, "s3://", 5) != 0)
		return -1;
	b = url + 5;
	slash = strchr(b, '/');
	if (slash == b || *b == '\0')
		return -1;
	*bucket = slash ? strndup(b, (size_t)(slash - b)) : strdup(b);
	*key = strdup(slash ? slash + 1 : "");
	if (*bucket == NULL || *key == NULL) {
		free(*bucket);
		free(*key);
		*bucket = *key = NULL;
		return -1;
	}
	return 0;
}

static bool
unreserved(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

static char *
escape(const char *src, bool keep_slash, bool (*plain)(unsigned char))
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(src);
	char *out = malloc(3 * n + 1), *o = out;

	if (out == NULL)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)src; *p; p++) {
		if (plain(*p) || (keep_slash && *p == '/')) {
			*o++ = (char)*p;
		} else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = '\0';
	return out;
}

char *
s3_query_escape(const char *src)
{
	return escape(src, false, unreserved);
}

static bool
listing_plain(unsigned char c)
{
	return c >= 0x20 && c != 0x7f && c != '%';
}

char *
s3_listing_escape(const char *key)
{
	return escape(key, true, listing_plain);
}

struct s3 *
s3_new(const struct awscfg *cfg, int verbose)
{
	struct s3 *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (s->curl = curl_easy_init()) == NULL) {
		free(s);
		return NULL;
	}
	s->cfg = cfg;
	s->verbose = verbose;
	snprintf(s->region, sizeof(s->region), "%s", cfg->region);
	s->sig.access_key = cfg->access_key;
	s->sig.secret_key = cfg->secret_key;
	s->sig.session_token = cfg->session_token;
	s->sig.region = s->region;
	s->sig.service = "s3";
	srand((unsigned)time(NULL) ^ (unsigned)(uintptr_t)s);
	return s;
}

void
s3_free(struct s3 *s)
{
	if (s == NULL)
		return;
	curl_easy_cleanup(s->curl);
	curl_global_cleanup();
	memset(&s->sig, 0, sizeof(s->sig));
	free(s);
}

const char *
s3_error(const struct s3 *s)
{
	return s->err;
}

void
s3_reply_free(struct s3_reply *rep)
{
	free(rep->body);
	memset(rep, 0, sizeof(*rep));
}

/* The request URL for bucket/key?query, path or virtual-hosted style. */
static char *
request_url(struct s3 *s, const char *bucket, const char *key, const char *query)
{
	char *ekey = escape(key ? key : "", true, unreserved), *url;
	const char *ep = s->cfg->endpoint;
	bool path = awscfg_path_style(s->cfg) || strchr(bucket, '.') != NULL;
	size_t n;
	int r;

	if (ekey == NULL)
		return NULL;
	n = strlen(bucket) + strlen(ekey) + (query ? strlen(query) : 0) + (ep ? strlen(ep) : 0) + 128;
	if ((url = malloc(n)) == NULL) {
		free(ekey);
		return NULL;
	}
	if (ep && path) {
		r = snprintf(url, n, "%s/%s/%s", ep, bucket, ekey);
	} else if (ep) {
		const char *host = strstr(ep, "://") + 3;

		r = snprintf(url, n, "%.*s%s.%s/%s", (int)(host - ep), ep, bucket, host, ekey);
	} else {
		/* Regional names, us-east-1 too, as AWS CLI v2 writes them. */
		char host[128];

		snprintf(host, sizeof(host), "s3.%s.amazonaws.com", s->region);
		if (path)
			r = snprintf(url, n, "https://%s/%s/%s", host, bucket, ekey);
		else
			r = snprintf(url, n, "https://%s.%s/%s", bucket, host, ekey);
	}
	if (r >= 0 && query && *query)
		snprintf(url + r, n - (size_t)r, "?%s", query);
	free(ekey);
	return url;
}

/* --- replies --------------------------------------------------------- */

struct xfer {
	struct s3 *s;
	const struct s3_request *req;
	struct s3_reply *rep;
	size_t cap;
	bool sink_used, sink_failed, too_big, range_ignored;
	char date[64];
};

static bool
success(long status)
{
	return status >= 200 && status < 300;
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n, limit;
	long status = 0;

	curl_easy_getinfo(x->s->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status == 200 && x->req->ranged) {
		x->range_ignored = true;
		return 0;
	}
	if (success(status) && x->req->sink) {
		x->sink_used = true;
		if (x->req->sink(x->req->sink_arg, p, len) != 0) {
			x->sink_failed = true;
			return 0;
		}
		return len;
	}
	limit = success(status) && x->req->max_body ? x->req->max_body : ERROR_BODY_MAX;
	if (x->rep->body_len + len > limit) {
		x->too_big = true;
		return 0;
	}
	if (x->rep->body_len + len + 1 > x->cap) {
		size_t cap = (x->rep->body_len + len + 1) * 2;
		char *b = realloc(x->rep->body, cap);

		if (b == NULL)
			return 0;
		x->rep->body = b;
		x->cap = cap;
	}
	memcpy(x->rep->body + x->rep->body_len, p, len);
	x->rep->body_len += len;
	x->rep->body[x->rep->body_len] = '\0';
	return len;
}

/* Copy a header's value if line is "name: value". */
static bool
header_value(const char *line, size_t len, const char *name, char *dst, size_t dstlen)
{
	size_t nl = strlen(name), vl;
	const char *v;

	if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return false;
	v = line + nl + 1;
	while (v < line + len && (*v == ' ' || *v == '\t'))
		v++;
	vl = (size_t)(line + len - v);
	while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
		vl--;
	if (vl >= dstlen)
		vl = dstlen - 1;
	memcpy(dst, v, vl);
	dst[vl] = '\0';
	return true;
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;
	char num[32], range[96];

	if (len > 5 && strncmp(p, "HTTP/", 5) == 0) {
		/* A new reply (after a 100 Continue): forget the last one's headers. */
		x->rep->etag[0] = x->rep->bucket_region[0] = x->date[0] = '\0';
		x->rep->crc32[0] = x->rep->crc32c[0] = x->rep->sha256[0] = '\0';
		x->rep->checksum_type[0] = x->rep->last_modified[0] = '\0';
		x->rep->content_length = x->rep->total_length = -1;
	}
	header_value(p, len, "etag", x->rep->etag, sizeof(x->rep->etag));
	header_value(p, len, "x-amz-bucket-region", x->rep->bucket_region,
	    sizeof(x->rep->bucket_region));
	header_value(p, len, "date", x->date, sizeof(x->date));
	if (header_value(p, len, "content-length", num, sizeof(num)))
		x->rep->content_length = strtoll(num, NULL, 10);
	header_value(p, len, "last-modified", x->rep->last_modified, sizeof(x->rep->last_modified));
	header_value(p, len, "x-amz-checksum-crc32", x->rep->crc32, sizeof(x->rep->crc32));
	header_value(p, len, "x-amz-checksum-crc32c", x->rep->crc32c, sizeof(x->rep->crc32c));
	header_value(p, len, "x-amz-checksum-sha256", x->rep->sha256, sizeof(x->rep->sha256));
	header_value(p, len, "x-amz-checksum-type", x->rep->checksum_type,
	    sizeof(x->rep->checksum_type));
	if (header_value(p, len, "content-range", range, sizeof(range)) && strchr(range, '/'))
		x->rep->total_length = strtoll(strchr(range, '/') + 1, NULL, 10);
	return len;
}

/* The fields of an S3 <Error> reply. */
struct s3err {
	char code[128], message[512], region[64], endpoint[256];
	char *cur;
	size_t cur_len, cur_cap;
	int depth;
};

static void XMLCALL
err_start(void *arg, const XML_Char *name, const XML_Char **attrs)
{
	struct s3err *e = arg;

	(void)attrs;
	e->depth++;
	e->cur = NULL;
	if (e->depth != 2)
		return;
	if (strcmp(name, "Code") == 0)
		e->cur = e->code, e->cur_cap = sizeof(e->code);
	else if (strcmp(name, "Message") == 0)
		e->cur = e->message, e->cur_cap = sizeof(e->message);
	else if (strcmp(name, "Region") == 0)
		e->cur = e->region, e->cur_cap = sizeof(e->region);
	else if (strcmp(name, "Endpoint") == 0)
		e->cur = e->endpoint, e->cur_cap = sizeof(e->endpoint);
	e->cur_len = 0;
}

static void XMLCALL
err_end(void *arg, const XML_Char *name)
{
	struct s3err *e = arg;

	(void)name;
	e->depth--;
	e->cur = NULL;
}

static void XMLCALL
err_text(void *arg, const XML_Char *s, int len)
{
	struct s3err *e = arg;

	if (e->cur == NULL)
		return;
	for (int i = 0; i < len && e->cur_len + 1 < e->cur_cap; i++)
		if ((unsigned char)s[i] >= 0x20)	/* no control bytes in messages */
			e->cur[e->cur_len++] = s[i];
	e->cur[e->cur_len] = '\0';
}

static void
parse_error(const char *body, size_t len, struct s3err *e)
{
	XML_Parser p = XML_ParserCreate(NULL);

	memset(e, 0, sizeof(*e));
	if (p == NULL || body == NULL)
		goto done;
	XML_SetUserData(p, e);
	XML_SetElementHandler(p, err_start, err_end);
	XML_SetCharacterDataHandler(p, err_text);
	XML_Parse(p, body, (int)len, 1);
done:
	if (p)
		XML_ParserFree(p);
}

/* A code for replies without a body (HEAD), from the status. */
static const char *
status_code(long status)
{
	switch (status) {
	case 301: return "PermanentRedirect";
	case 400: return "BadRequest";
	case 403: return "AccessDenied";
	case 404: return "NotFound";
	case 412: return "PreconditionFailed";
	case 416: return "InvalidRange";
	default: return status >= 500 ? "ServerError" : "Error";
	}
}

static const char *
hint(const char *code, const struct s3err *e, char *buf, size_t len)
{
	if (strcmp(code, "NoSuchBucket") == 0)
		return "check the bucket name, the endpoint and the region";
	if (strcmp(code, "NoSuchKey") == 0 || strcmp(code, "NotFound") == 0)
		return "list what is there with s3ls";
	if (strcmp(code, "AccessDenied") == 0)
		return "check the credentials, the profile and the bucket policy";
	if (strcmp(code, "InvalidAccessKeyId") == 0)
		return "check AWS_ACCESS_KEY_ID or the profile's aws_access_key_id";
	if (strcmp(code, "SignatureDoesNotMatch") == 0)
		return "check the secret key and the system clock";
	if (strcmp(code, "PermanentRedirect") == 0 || strcmp(code, "AuthorizationHeaderMalformed") == 0) {
		if (*e->region) {
			snprintf(buf, len, "bucket is in region %s", e->region);
			return buf;
		}
		return "the bucket is in another region: set AWS_REGION";
	}
	if (strcmp(code, "RequestTimeTooSkewed") == 0)
		return "check the system clock";
	if (strcmp(code, "PreconditionFailed") == 0)
		return "the object exists, or changed meanwhile";
	return NULL;
}

static bool
retryable(long status, const char *code)
{
	return status == 500 || status == 502 || status == 503 || status == 504 ||
	    status == 429 || strcmp(code, "SlowDown") == 0 ||
	    strcmp(code, "InternalError") == 0 || strcmp(code, "RequestTimeout") == 0 ||
	    strcmp(code, "ServiceUnavailable") == 0 || strcmp(code, "Throttling") == 0;
}

/* A URL for messages: the query string of a presigned URL is left out. */
static void
redact_url(const char *url, char *buf, size_t len)
{
	const char *q = strchr(url, '?');

	if (q && (strstr(q, "X-Amz-Signature") || strstr(q, "X-Amz-Credential") ||
	    strstr(q, "X-Amz-Security-Token") || strstr(q, "Signature=")))
		snprintf(buf, len, "%.*s?(query hidden)", (int)(q - url), url);
	else
		snprintf(buf, len, "%s", url);
}

static void
backoff(int attempt)
{
	long cap = 1000L << (attempt < 5 ? attempt : 5);
	long ms = (long)((double)rand() / ((double)RAND_MAX + 1) * (double)(cap < BACKOFF_CAP_MS ? cap : BACKOFF_CAP_MS));
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

void
s3_set_cancel(struct s3 *s, volatile sig_atomic_t *cancel)
{
	s->cancel = cancel;
}

static int
on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct s3 *s = arg;

	(void)dt, (void)dn, (void)ut, (void)un;
	return s->cancel && *s->cancel;
}

/* One attempt. Fills rep; returns the CURLcode. */
static CURLcode
attempt(struct s3 *s, const struct s3_request *req, const char *url, struct xfer *x)
{
	struct curl_slist *hl = NULL;
	struct sigv4_out so = { 0 };
	char amz_date[20], line[2048], payload[65] = EMPTY_SHA256;
	time_t now = time(NULL) + s->clock_offset;
	struct tm tm;
	CURLcode rc;

	gmtime_r(&now, &tm);
	strftime(amz_date, sizeof(amz_date), "%Y%m%dT%H%M%SZ", &tm);
	for (size_t i = 0; i < req->nheaders; i++)
		hl = curl_slist_append(hl, req->headers[i]);
	if (req->body)
		sigv4_sha256_hex(req->body, req->body_len, payload);
	if (!s->cfg->no_sign && req->url == NULL) {
		if (sigv4_sign(&s->sig, req->method, url, req->headers, req->nheaders,
		    payload, amz_date, &so) != 0)
			return CURLE_URL_MALFORMAT;
		snprintf(line, sizeof(line), "Authorization: %s", so.authorization);
		hl = curl_slist_append(hl, line);
		snprintf(line, sizeof(line), "x-amz-date: %s", amz_date);
		hl = curl_slist_append(hl, line);
		snprintf(line, sizeof(line), "x-amz-content-sha256: %s", payload);
		hl = curl_slist_append(hl, line);
		if (s->cfg->session_token && *s->cfg->session_token) {
			snprintf(line, sizeof(line), "x-amz-security-token: %s", s->cfg->session_token);
			hl = curl_slist_append(hl, line);
		}
		memset(line, 0, sizeof(line));
		sigv4_out_free(&so);
	}
	hl = curl_slist_append(hl, "Expect:");

	curl_easy_reset(s->curl);
	curl_easy_setopt(s->curl, CURLOPT_URL, url);
	curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(s->curl, CURLOPT_USERAGENT, "bkpipe/" BKPIPE_VERSION);
	curl_easy_setopt(s->curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(s->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(s->curl, CURLOPT_LOW_SPEED_TIME, (long)s->cfg->read_timeout);
	curl_easy_setopt(s->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	if (s->cfg->ca_bundle)
		curl_easy_setopt(s->curl, CURLOPT_CAINFO, s->cfg->ca_bundle);
	if (strcmp(req->method, "HEAD") == 0)
		curl_easy_setopt(s->curl, CURLOPT_NOBODY, 1L);
	else if (strcmp(req->method, "GET") != 0)
		curl_easy_setopt(s->curl, CURLOPT_CUSTOMREQUEST, req->method);
	if (req->body) {
		curl_easy_setopt(s->curl, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(s->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
	}
	if (s->cancel) {
		curl_easy_setopt(s->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(s->curl, CURLOPT_XFERINFODATA, s);
		curl_easy_setopt(s->curl, CURLOPT_NOPROGRESS, 0L);
	}
	curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(s->curl, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(s->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(s->curl, CURLOPT_HEADERDATA, x);
	rc = curl_easy_perform(s->curl);
	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &x->rep->status);
	curl_slist_free_all(hl);
	return rc;
}

int
s3_request(struct s3 *s, const struct s3_request *req, struct s3_reply *rep)
{
	char shown[2048], hbuf[128];
	int tries = 0;

	s->err[0] = '\0';
	for (;;) {
		char *url = req->url ? strdup(req->url) : request_url(s, req->bucket, req->key, req->query);
		struct xfer x = { .s = s, .req = req, .rep = rep };
		struct s3err e;
		const char *code, *h;
		CURLcode rc;

		if (url == NULL) {
			snprintf(s->err, sizeof(s->err), "out of memory");
			return EXIT_DATA;
		}
		memset(rep, 0, sizeof(*rep));
		rep->content_length = rep->total_length = -1;
		redact_url(url, shown, sizeof(shown));
		tries++;
		rc = attempt(s, req, url, &x);
		free(url);
		if (s->verbose)
			fprintf(stderr, "%s: %s %s -> %ld%s%s\n", prog, req->method, shown, rep->status,
			    rc != CURLE_OK ? ": " : "", rc != CURLE_OK ? curl_easy_strerror(rc) : "");
		if (x.range_ignored) {
			snprintf(s->err, sizeof(s->err), "%s %s: the server ignored the Range header",
			    req->method, shown);
			return EXIT_DATA;
		}
		if (x.sink_failed) {
			snprintf(s->err, sizeof(s->err), "%s %s: stopped by the reader", req->method, shown);
			return EXIT_DATA;
		}
		if (x.too_big) {
			snprintf(s->err, sizeof(s->err), "%s %s: reply larger than %zu bytes",
			    req->method, shown, req->max_body ? req->max_body : (size_t)ERROR_BODY_MAX);
			s3_reply_free(rep);
			return EXIT_DATA;
		}
		if (s->cancel && *s->cancel) {
			snprintf(s->err, sizeof(s->err), "%s %s: cancelled", req->method, shown);
			s3_reply_free(rep);
			return EXIT_DATA;
		}
		if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && !success(rep->status))) {
			if (rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL) {
				snprintf(s->err, sizeof(s->err), "%s: %s", shown, curl_easy_strerror(rc));
				s3_reply_free(rep);
				return EXIT_USAGE;
			}
			snprintf(s->err, sizeof(s->err), "%s %s: %s (after %d attempt%s)", req->method,
			    shown, curl_easy_strerror(rc), tries, tries == 1 ? "" : "s");
			s3_reply_free(rep);
			if (x.sink_used || tries >= s->cfg->max_attempts)
				return EXIT_TRANSIENT;
			backoff(tries);
			continue;
		}
		if (success(rep->status))
			return EXIT_OK;

		parse_error(rep->body, rep->body_len, &e);
		code = *e.code ? e.code : status_code(rep->status);
		if (!*e.region && *rep->bucket_region)
			snprintf(e.region, sizeof(e.region), "%s", rep->bucket_region);
		h = hint(code, &e, hbuf, sizeof(hbuf));
		if (*e.message)
			snprintf(s->err, sizeof(s->err), "%s: %s", code, e.message);
		else
			snprintf(s->err, sizeof(s->err), "%s: HTTP status %ld", code, rep->status);
		if (h)
			snprintf(s->err + strlen(s->err), sizeof(s->err) - strlen(s->err),
			    " (hint: %s)", h);

		/* Once: a clock that is off, or a bucket in another region. */
		if (strcmp(code, "RequestTimeTooSkewed") == 0 && !s->skew_fixed && *x.date) {
			int64_t server;

			if (units_parse_http_date(x.date, &server) == 0) {
				s->clock_offset = (long)(server - (int64_t)time(NULL));
				if (s->verbose)
					fprintf(stderr, "%s: the server's clock is %ld s from ours; "
					    "signing with its time\n", prog, s->clock_offset);
				s->skew_fixed = true;
				s3_reply_free(rep);
				continue;
			}
		}
		if ((rep->status == 301 || rep->status == 307 || rep->status == 400) &&
		    *e.region && strcmp(e.region, s->region) != 0 && !s->redirected) {
			if (s->verbose)
				fprintf(stderr, "%s: the bucket is in region %s; asking there\n",
				    prog, e.region);
			snprintf(s->region, sizeof(s->region), "%s", e.region);
			s->redirected = true;
			s3_reply_free(rep);
			continue;
		}
		if (retryable(rep->status, code) && tries < s->cfg->max_attempts && !x.sink_used) {
			s3_reply_free(rep);
			backoff(tries);
			continue;
		}
		return retryable(rep->status, code) ? EXIT_TRANSIENT : EXIT_DATA;
	}
}

/* --- listings -------------------------------------------------------- */

#define PAGE_MAX (32 * 1024 * 1024)

enum field { F_NONE, F_KEY, F_MTIME, F_ETAG, F_SIZE, F_CLASS, F_PREFIX,
	F_TRUNCATED, F_TOKEN, F_ENCODING };

struct page {
	struct s3_entry *e;
	size_t n, cap;
	char *text;		/* the text of the field being read */
	size_t text_len, text_cap;
	enum field field;
	int depth;
	bool in_contents, in_prefixes;
	struct s3_entry cur;
	bool truncated, url_encoded, bad;
	char *token;
};

static char *
take_text(struct page *pg)
{
	char *t = strndup(pg->text ? pg->text : "", pg->text_len);

	pg->text_len = 0;
	if (t == NULL)
		pg->bad = true;
	return t;
}

/* A field given twice keeps the last. */
static void
set_text(struct page *pg, const char **field)
{
	free((char *)*field);
	*field = take_text(pg);
}

static void XMLCALL
list_start(void *arg, const XML_Char *name, const XML_Char **attrs)
{
	struct page *pg = arg;

	(void)attrs;
	pg->depth++;
	pg->text_len = 0;
	pg->field = F_NONE;
	if (pg->depth == 2) {
		if (strcmp(name, "Contents") == 0) {
			pg->in_contents = true;
			memset(&pg->cur, 0, sizeof(pg->cur));
			pg->cur.size = -1;
		} else if (strcmp(name, "CommonPrefixes") == 0) {
			pg->in_prefixes = true;
			memset(&pg->cur, 0, sizeof(pg->cur));
			pg->cur.is_prefix = true;
		} else if (strcmp(name, "IsTruncated") == 0) {
			pg->field = F_TRUNCATED;
		} else if (strcmp(name, "NextContinuationToken") == 0) {
			pg->field = F_TOKEN;
		} else if (strcmp(name, "EncodingType") == 0) {
			pg->field = F_ENCODING;
		}
	} else if (pg->depth == 3 && pg->in_contents) {
		pg->field = strcmp(name, "Key") == 0 ? F_KEY :
		    strcmp(name, "LastModified") == 0 ? F_MTIME :
		    strcmp(name, "ETag") == 0 ? F_ETAG :
		    strcmp(name, "Size") == 0 ? F_SIZE :
		    strcmp(name, "StorageClass") == 0 ? F_CLASS : F_NONE;
	} else if (pg->depth == 3 && pg->in_prefixes && strcmp(name, "Prefix") == 0) {
		pg->field = F_PREFIX;
	}
}

static void XMLCALL
list_text(void *arg, const XML_Char *s, int len)
{
	struct page *pg = arg;

	if (pg->field == F_NONE)
		return;
	if (pg->text_len + (size_t)len + 1 > pg->text_cap) {
		size_t cap = (pg->text_len + (size_t)len + 1) * 2;
		char *t = realloc(pg->text, cap);

		if (t == NULL) {
			pg->bad = true;
			return;
		}
		pg->text = t;
		pg->text_cap = cap;
	}
	memcpy(pg->text + pg->text_len, s, (size_t)len);
	pg->text_len += (size_t)len;
}

static void XMLCALL
list_end(void *arg, const XML_Char *name)
{
	struct page *pg = arg;
	char *t;

	(void)name;
	switch (pg->field) {
	case F_KEY: case F_PREFIX: set_text(pg, &pg->cur.key); break;
	case F_MTIME: set_text(pg, &pg->cur.last_modified); break;
	case F_ETAG: set_text(pg, &pg->cur.etag); break;
	case F_CLASS: set_text(pg, &pg->cur.storage_class); break;
	case F_SIZE:
		t = take_text(pg);
		if (t && *t && strspn(t, "0123456789") == strlen(t) && strlen(t) < 19)
			pg->cur.size = strtoll(t, NULL, 10);
		else
			pg->bad = true;
		free(t);
		break;
	case F_TRUNCATED:
		t = take_text(pg);
		pg->truncated = t && strcmp(t, "true") == 0;
		free(t);
		break;
	case F_TOKEN:
		free(pg->token);
		pg->token = take_text(pg);
		break;
	case F_ENCODING:
		t = take_text(pg);
		pg->url_encoded = t && strcmp(t, "url") == 0;
		free(t);
		break;
	case F_NONE:
		break;
	}
	pg->field = F_NONE;
	if (pg->depth == 2 && (pg->in_contents || pg->in_prefixes)) {
		if (pg->n == pg->cap) {
			size_t cap = pg->cap ? pg->cap * 2 : 256;
			struct s3_entry *e = realloc(pg->e, cap * sizeof(*e));

			if (e == NULL) {
				pg->bad = true;
				return;
			}
			pg->e = e;
			pg->cap = cap;
		}
		pg->e[pg->n++] = pg->cur;
		memset(&pg->cur, 0, sizeof(pg->cur));
		pg->in_contents = pg->in_prefixes = false;
	}
	pg->depth--;
}

static void
entry_free(struct s3_entry *e)
{
	free((char *)e->key);
	free((char *)e->last_modified);
	free((char *)e->etag);
	free((char *)e->storage_class);
}

static void
page_free(struct page *pg)
{
	for (size_t i = 0; i < pg->n; i++)
		entry_free(&pg->e[i]);
	entry_free(&pg->cur);
	free(pg->e);
	free(pg->text);
	free(pg->token);
}

static int
entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct s3_entry *)a)->key, ((const struct s3_entry *)b)->key);
}

/* Check and normalise the entries of a page; sort objects and prefixes together. */
static int
page_finish(struct page *pg, char *why, size_t len)
{
	for (size_t i = 0; i < pg->n; i++) {
		struct s3_entry *e = &pg->e[i];

		if (e->key == NULL || (pg->url_encoded && listing_decode((char *)e->key) != 0)) {
			snprintf(why, len, "an entry without a valid key");
			return -1;
		}
		if (e->is_prefix)
			continue;
		if (e->size < 0 || e->last_modified == NULL ||
		    units_parse_time(e->last_modified, &e->mtime) != 0) {
			snprintf(why, len, "entry %s has no valid size or LastModified", e->key);
			return -1;
		}
		{
			char t[32], *d;

			units_fmt_time(t, sizeof(t), e->mtime);
			if ((d = strdup(t)) == NULL) {
				snprintf(why, len, "out of memory");
				return -1;
			}
			free((char *)e->last_modified);
			e->last_modified = d;
		}
	}
	if (pg->n > 1)
		qsort(pg->e, pg->n, sizeof(*pg->e), entry_cmp);
	return 0;
}

static void
query_add(char *q, size_t len, const char *name, const char *value)
{
	char *v;

	if (value == NULL)
		return;
	if ((v = s3_query_escape(value)) == NULL)
		return;
	snprintf(q + strlen(q), len - strlen(q), "&%s=%s", name, v);
	free(v);
}

int
s3_list_page(const char *body, size_t len, s3_list_fn fn, void *arg, char **next,
    char *why, size_t whylen)
{
	struct page pg = { 0 };
	XML_Parser p = XML_ParserCreate(NULL);
	int r = 0;

	*next = NULL;
	*why = '\0';
	if (p == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	XML_SetUserData(p, &pg);
	XML_SetElementHandler(p, list_start, list_end);
	XML_SetCharacterDataHandler(p, list_text);
	if (len > INT_MAX || XML_Parse(p, body ? body : "", (int)len, 1) != XML_STATUS_OK)
		snprintf(why, whylen, "%s at line %lu", XML_ErrorString(XML_GetErrorCode(p)),
		    (unsigned long)XML_GetCurrentLineNumber(p));
	else if (pg.bad)
		snprintf(why, whylen, "a malformed field");
	else if (pg.truncated && (pg.token == NULL || *pg.token == '\0'))
		snprintf(why, whylen, "a truncated page without a continuation token");
	else
		page_finish(&pg, why, whylen);
	XML_ParserFree(p);
	if (*why) {
		page_free(&pg);
		return -1;
	}
	for (size_t i = 0; i < pg.n && r == 0; i++)
		r = fn(arg, &pg.e[i]);
	if (pg.truncated && r == 0) {
		*next = pg.token;
		pg.token = NULL;
	}
	page_free(&pg);
	return r;
}

int
s3_list(struct s3 *s, const char *bucket, const struct s3_list_opts *o,
    s3_list_fn fn, void *arg)
{
	char *token = NULL;
	int status;

	do {
		struct s3_request req = { .method = "GET", .bucket = bucket, .max_body = PAGE_MAX };
		struct s3_reply rep;
		char query[8192] = "list-type=2&encoding-type=url", why[256];

		query_add(query, sizeof(query), "prefix", o->prefix && *o->prefix ? o->prefix : NULL);
		query_add(query, sizeof(query), "delimiter", o->delimiter);
		query_add(query, sizeof(query), "start-after", token ? NULL : o->start_after);
		query_add(query, sizeof(query), "continuation-token", token);
		free(token);
		token = NULL;
		req.query = query;
		if ((status = s3_request(s, &req, &rep)) != EXIT_OK) {
			s3_reply_free(&rep);
			break;
		}
		status = s3_list_page(rep.body, rep.body_len, fn, arg, &token, why, sizeof(why));
		s3_reply_free(&rep);
		if (status == -1 && *why) {
			snprintf(s->err, sizeof(s->err), "bad listing from the server: %s", why);
			return EXIT_DATA;
		}
	} while (status == EXIT_OK && token != NULL);
	free(token);
	return status;
}

char *
s3_presign(struct s3 *s, const char *bucket, const char *key, long expires, int64_t now)
{
	char *url = request_url(s, bucket, key, NULL), amz_date[20];
	struct sigv4_out so;
	time_t t = (time_t)now;
	struct tm tm;

	if (url == NULL)
		return NULL;
	gmtime_r(&t, &tm);
	strftime(amz_date, sizeof(amz_date), "%Y%m%dT%H%M%SZ", &tm);
	if (sigv4_presign(&s->sig, "GET", url, amz_date, expires, &so) != 0) {
		free(url);
		return NULL;
	}
	free(url);
	url = so.url;
	so.url = NULL;
	sigv4_out_free(&so);
	return url;
}

/* --- deletes ---------------------------------------------------------- */

/* XML 1.0 cannot carry most control bytes, escaped or not. */
static bool
xml_safe(const char *key)
{
	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
			return false;
	return true;
}

struct buf {
	char *p;
	size_t n, cap;
};

static void
buf_add(struct buf *b, const char *p, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		if ((b->p = realloc(b->p, b->cap)) == NULL)
			abort();
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
	b->p[b->n] = '\0';
}

/* Text as XML element content; TAB, LF and CR as character references so
 * they survive the parser. */
static void
buf_xml(struct buf *b, const char *t)
{
	for (; *t; t++) {
		char esc[8];

		switch (*t) {
		case '&': buf_add(b, "&amp;", 5); break;
		case '<': buf_add(b, "&lt;", 4); break;
		case '>': buf_add(b, "&gt;", 4); break;
		case '"': buf_add(b, "&quot;", 6); break;
		case '\'': buf_add(b, "&apos;", 6); break;
		case '\t': case '\n': case '\r':
			snprintf(esc, sizeof(esc), "&#%d;", *t);
			buf_add(b, esc, strlen(esc));
			break;
		default:
			buf_add(b, t, 1);
		}
	}
}

struct delres {
	char key[2048], code[128], message[512];
	char *cur;
	size_t cur_len, cur_cap;
	int depth;
	bool in_error;
	s3_delete_fn fn;
	void *arg;
	int failed;
};

static void XMLCALL
del_start(void *arg, const XML_Char *name, const XML_Char **attrs)
{
	struct delres *d = arg;

	(void)attrs;
	d->depth++;
	d->cur = NULL;
	if (d->depth == 2 && strcmp(name, "Error") == 0) {
		d->in_error = true;
		d->key[0] = d->code[0] = d->message[0] = '\0';
	} else if (d->depth == 3 && d->in_error) {
		if (strcmp(name, "Key") == 0)
			d->cur = d->key, d->cur_cap = sizeof(d->key);
		else if (strcmp(name, "Code") == 0)
			d->cur = d->code, d->cur_cap = sizeof(d->code);
		else if (strcmp(name, "Message") == 0)
			d->cur = d->message, d->cur_cap = sizeof(d->message);
		d->cur_len = 0;
	}
}

static void XMLCALL
del_text(void *arg, const XML_Char *s, int len)
{
	struct delres *d = arg;

	for (int i = 0; d->cur && i < len && d->cur_len + 1 < d->cur_cap; i++)
		d->cur[d->cur_len++] = s[i];
	if (d->cur)
		d->cur[d->cur_len] = '\0';
}

static void XMLCALL
del_end(void *arg, const XML_Char *name)
{
	struct delres *d = arg;

	if (d->depth == 2 && d->in_error && strcmp(name, "Error") == 0) {
		d->fn(d->arg, d->key, d->code, d->message);
		d->failed++;
		d->in_error = false;
	}
	d->cur = NULL;
	d->depth--;
}

int
s3_delete(struct s3 *s, const char *bucket, char *const *keys, size_t n,
    s3_delete_fn fn, void *arg)
{
	static const char head[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	    "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>";
	struct buf body = { 0 };
	size_t batched = 0;
	int status = EXIT_OK, r;

	buf_add(&body, head, sizeof(head) - 1);
	for (size_t i = 0; i < n; i++) {
		struct s3_request req = { .method = "DELETE", .bucket = bucket, .key = keys[i] };
		struct s3_reply rep;

		if (xml_safe(keys[i])) {
			buf_add(&body, "<Object><Key>", 13);
			buf_xml(&body, keys[i]);
			buf_add(&body, "</Key></Object>", 15);
			batched++;
			continue;
		}
		/* A key XML cannot carry: a DELETE of its own. */
		if ((r = s3_request(s, &req, &rep)) != EXIT_OK) {
			fn(arg, keys[i], "", s3_error(s));
			status = status_worst(status, r);
		}
		s3_reply_free(&rep);
	}
	buf_add(&body, "</Delete>", 9);
	if (batched > 0) {
		unsigned char md[EVP_MAX_MD_SIZE], b64[32];
		unsigned mdlen = 0;
		char md5hdr[64];
		const char *hdr[] = { md5hdr, "Content-Type: application/xml" };
		struct s3_request req = { .method = "POST", .bucket = bucket, .query = "delete",
		    .headers = hdr, .nheaders = 2, .body = body.p, .body_len = body.n,
		    .max_body = 16 << 20 };
		struct s3_reply rep;
		struct delres d = { .fn = fn, .arg = arg };
		XML_Parser p;

		/* DeleteObjects requires Content-MD5. */
		EVP_Digest(body.p, body.n, md, &mdlen, EVP_md5(), NULL);
		EVP_EncodeBlock(b64, md, (int)mdlen);
		snprintf(md5hdr, sizeof(md5hdr), "Content-MD5: %s", b64);
		if ((r = s3_request(s, &req, &rep)) != EXIT_OK) {
			status = status_worst(status, r);
			for (size_t i = 0; i < n; i++)
				if (xml_safe(keys[i]))
					fn(arg, keys[i], "", s3_error(s));
		} else if ((p = XML_ParserCreate(NULL)) != NULL) {
			XML_SetUserData(p, &d);
			XML_SetElementHandler(p, del_start, del_end);
			XML_SetCharacterDataHandler(p, del_text);
			if (XML_Parse(p, rep.body ? rep.body : "", (int)rep.body_len, 1) != XML_STATUS_OK) {
				snprintf(s->err, sizeof(s->err), "bad DeleteObjects reply from the server");
				fn(arg, "", "", s->err);
				status = status_worst(status, EXIT_DATA);
			}
			XML_ParserFree(p);
			if (d.failed)
				status = status_worst(status, EXIT_DATA);
		}
		s3_reply_free(&rep);
	}
	free(body.p);
	return status;
}

struct xmltext {
	const char *name;
	char *text;
	size_t len;
	bool in, done;
};

static void XMLCALL
xt_start(void *arg, const XML_Char *name, const XML_Char **attrs)
{
	struct xmltext *x = arg;

	(void)attrs;
	if (!x->done && strcmp(name, x->name) == 0)
		x->in = true;
}

static void XMLCALL
xt_end(void *arg, const XML_Char *name)
{
	struct xmltext *x = arg;

	if (x->in && strcmp(name, x->name) == 0) {
		x->in = false;
		x->done = true;
	}
}

static void XMLCALL
xt_text(void *arg, const XML_Char *s, int len)
{
	struct xmltext *x = arg;
	char *t;

	if (!x->in || (t = realloc(x->text, x->len + (size_t)len + 1)) == NULL)
		return;
	memcpy(t + x->len, s, (size_t)len);
	x->len += (size_t)len;
	t[x->len] = '\0';
	x->text = t;
}

char *
s3_xml_text(const char *body, size_t len, const char *name)
{
	struct xmltext x = { .name = name };
	XML_Parser p = XML_ParserCreate(NULL);

	if (p == NULL || body == NULL || len > INT_MAX) {
		if (p)
			XML_ParserFree(p);
		return NULL;
	}
	XML_SetUserData(p, &x);
	XML_SetElementHandler(p, xt_start, xt_end);
	XML_SetCharacterDataHandler(p, xt_text);
	if (XML_Parse(p, body, (int)len, 1) != XML_STATUS_OK || !x.done) {
		free(x.text);
		x.text = NULL;
	} else if (x.text == NULL) {
		x.text = strdup("");
	}
	XML_ParserFree(p);
	return x.text;
}
