#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

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
#define WAIT_SAY 3		/* seconds without an answer before a terminal is told */

struct s3 {
	CURL *curl;
	const struct awscfg *cfg;
	struct sigv4 sig;
	char region[64];
	int verbose;
	long clock_offset;	/* seconds to add to the local clock */
	bool skew_fixed, redirected;
	bool tty;		/* stderr is a terminal: say what a slow request waits for */
	volatile sig_atomic_t *cancel;
	char err[4096];
	char curl_err[CURL_ERROR_SIZE];
};

static bool
lower_or_digit(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

int
s3_bucket_check(const char *b, char *why, size_t whylen)
{
	size_t n = strlen(b), dots = 0;
	bool numeric = true;

	if (n < 3 || n > 63) {
		snprintf(why, whylen, "a bucket name has 3 to 63 characters");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)b[i];

		if (!lower_or_digit(c) && c != '.' && c != '-') {
			snprintf(why, whylen, "a bucket name holds only lowercase letters, digits, "
			    "'.' and '-'");
			return -1;
		}
		if (c == '.' && i > 0 && b[i - 1] == '.') {
			snprintf(why, whylen, "a bucket name has no two periods in a row");
			return -1;
		}
		if (c == '.')
			dots++;
		else if (c < '0' || c > '9')
			numeric = false;
	}
	if (!lower_or_digit((unsigned char)b[0]) || !lower_or_digit((unsigned char)b[n - 1])) {
		snprintf(why, whylen, "a bucket name begins and ends with a letter or a digit");
		return -1;
	}
	if (numeric && dots == 3) {
		snprintf(why, whylen, "a bucket name is not an IP address");
		return -1;
	}
	return 0;
}

int
s3_parse_url(const char *url, char **bucket, char **key, char *why, size_t whylen)
{
	const char *b, *slash;

	*bucket = *key = NULL;
	if (strncmp(url, "s3://", 5) != 0) {
		snprintf(why, whylen, "not an s3:// URL");
		return -1;
	}
	b = url + 5;
	slash = strchr(b, '/');
	*bucket = slash ? strndup(b, (size_t)(slash - b)) : strdup(b);
	*key = strdup(slash ? slash + 1 : "");
	if (*bucket == NULL || *key == NULL)
		snprintf(why, whylen, "out of memory");
	else if (s3_bucket_check(*bucket, why, whylen) == 0)
		return 0;
	free(*bucket);
	free(*key);
	*bucket = *key = NULL;
	return -1;
}

/* Percent-decode a key in place; -1 on a bad escape or a NUL, which would cut it. */
static int
decode_key(char *key)
{
	size_t want = strlen(key);

	for (const char *p = key; (p = strchr(p, '%')) != NULL; p++)
		want -= 2;
	return listing_decode(key) != 0 || strlen(key) != want ? -1 : 0;
}

int
s3_object_url(const char *url, bool may_be_empty, char **bucket, char **key,
    char *why, size_t whylen)
{
	if (s3_parse_url(url, bucket, key, why, whylen) != 0)
		return -1;
	if (decode_key(*key) != 0)
		snprintf(why, whylen, "a bad %%XX escape in the key, or a NUL byte (%%00)");
	else if (!may_be_empty && **key == '\0')
		snprintf(why, whylen, "no key");
	else
		return 0;
	free(*bucket);
	free(*key);
	*bucket = *key = NULL;
	return -1;
}

/* An ETag without the quotes around it, if it has them: its length. */
static size_t
etag_bare(const char *e, const char **start)
{
	size_t n = strlen(e);

	if (n >= 2 && e[0] == '"' && e[n - 1] == '"') {
		*start = e + 1;
		return n - 2;
	}
	*start = e;
	return n;
}

bool
s3_etag_equal(const char *a, const char *b)
{
	const char *pa, *pb;
	size_t na = etag_bare(a, &pa), nb = etag_bare(b, &pb);

	return na > 0 && na == nb && memcmp(pa, pb, na) == 0;
}

/* tchar of RFC 9110. */
static bool
token_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

int
s3_header_check(const char *line, char *why, size_t whylen)
{
	const unsigned char *p = (const unsigned char *)line;

	while (token_char(*p))
		p++;
	if (p == (const unsigned char *)line || *p != ':') {
		snprintf(why, whylen, "a header name is letters, digits and !#$%%&'*+-.^_`|~ only");
		return -1;
	}
	for (p++; *p; p++) {
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f) {
			snprintf(why, whylen, "a header value cannot hold control bytes "
			    "(CR, LF, ...)");
			return -1;
		}
	}
	return 0;
}

/* digits of s[0, len) into *v, at most S3_SIZE_MAX */
static int
digits(const char *s, size_t len, int64_t *v)
{
	int64_t n = 0;

	if (len < 1 || len > 19)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || n > (S3_SIZE_MAX - (s[i] - '0')) / 10)
			return -1;
		n = n * 10 + (s[i] - '0');
	}
	*v = n;
	return 0;
}

int
s3_parse_size(const char *s, size_t len, int64_t *out)
{
	return digits(s, len, out);
}

int
s3_parse_content_range(const char *s, size_t len, int64_t *first, int64_t *last,
    int64_t *total)
{
	const char *end = s + len, *dash, *slash;

	*first = *last = *total = -1;
	if (len < 6 || strncasecmp(s, "bytes ", 6) != 0)
		return -1;
	s += 6;
	if ((slash = memchr(s, '/', (size_t)(end - s))) == NULL)
		return -1;
	if (slash - s == 1 && *s == '*') {
		/* A 416's form, '*' for the range: the size alone. */
		if (digits(slash + 1, (size_t)(end - slash - 1), total) == 0)
			return 0;
		goto bad;
	}
	if ((dash = memchr(s, '-', (size_t)(slash - s))) == NULL ||
	    digits(s, (size_t)(dash - s), first) != 0 ||
	    digits(dash + 1, (size_t)(slash - dash - 1), last) != 0 ||
	    *first > *last)
		goto bad;
	if (end - slash == 2 && slash[1] == '*')
		return 0;
	if (digits(slash + 1, (size_t)(end - slash - 1), total) == 0 && *last < *total)
		return 0;
bad:
	*first = *last = *total = -1;
	return -1;
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
	s->tty = isatty(STDERR_FILENO);
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

/*
 * The request URL for bucket/key?query, path or virtual-hosted style. The
 * bucket is checked here too, whoever asks: it becomes part of a host name.
 */
static char *
request_url(struct s3 *s, const char *bucket, const char *key, const char *query)
{
	const char *ep = s->cfg->endpoint;
	bool path = awscfg_path_style(s->cfg) || strchr(bucket, '.') != NULL;
	char why[128], *ekey, *url;
	size_t n;
	int r;

	if (s3_bucket_check(bucket, why, sizeof(why)) != 0) {
		char *shown = s3_listing_escape(bucket);

		snprintf(s->err, sizeof(s->err), "bucket \"%s\": %s", shown ? shown : "?", why);
		free(shown);
		return NULL;
	}
	if ((ekey = escape(key ? key : "", true, unreserved)) == NULL)
		return NULL;
	n = strlen(bucket) + strlen(ekey) + (query ? strlen(query) : 0) + (ep ? strlen(ep) : 0) + 128;
	if ((url = malloc(n)) == NULL) {
		free(ekey);
		return NULL;
	}
	if (ep && path) {
		r = snprintf(url, n, "%s/%s/%s", ep, bucket, ekey);
	} else if (ep) {
		/* The bucket goes before the host, after any userinfo. */
		const char *host = strstr(ep, "://") + 3, *at;
		size_t alen = strcspn(host, "/");

		for (at = host + alen; at > host && at[-1] != '@'; at--)
			;
		if (at > host)
			host = at;
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
	bool checked;		/* a 2xx reply's headers were checked */
	int64_t sink_max;	/* bytes the sink may get; -1: any */
	int64_t sink_bytes;
	char refused[320];	/* why a 2xx reply is not what was asked, or "" */
	const char *shown;	/* the URL for messages */
	int attempt;
	time_t started;
	bool answered, waiting_said;
};

static bool
success(long status)
{
	return status >= 200 && status < 300;
}

/*
 * Before the first byte of a 2xx body reaches anyone: is this reply what
 * was asked? Sets x->refused, and how many bytes the sink may take.
 */
static void
check_reply(struct xfer *x)
{
	const struct s3_request *req = x->req;
	const struct s3_reply *rep = x->rep;

	x->checked = true;
	x->sink_max = -1;
	if (*rep->bad) {
		snprintf(x->refused, sizeof(x->refused), "%s", rep->bad);
	} else if (rep->status == 206 && req->range) {
		if (s3_range_check(req->range, rep, x->refused, sizeof(x->refused)) == 0)
			x->sink_max = rep->content_length;
	} else if (rep->status == 206 && req->sink) {
		snprintf(x->refused, sizeof(x->refused), "a 206 reply to a request without a Range");
	} else if (rep->status == 200 && req->whole && req->sink) {
		if (rep->content_length != req->size)
			snprintf(x->refused, sizeof(x->refused), "a reply of %" PRId64 " bytes for "
			    "an object of %" PRId64 " (its HEAD)", rep->content_length, req->size);
		else
			x->sink_max = req->size;
	} else if (req->sink && success(rep->status) && rep->content_length < 0) {
		snprintf(x->refused, sizeof(x->refused), "a reply without a Content-Length");
	}
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n, limit;
	long status = 0;

	curl_easy_getinfo(x->s->curl, CURLINFO_RESPONSE_CODE, &status);
	x->rep->status = status;
	if (status == 200 && x->req->range) {
		x->range_ignored = true;
		return 0;
	}
	if (success(status) && !x->checked)
		check_reply(x);
	if (*x->refused)
		return 0;
	if (success(status) && x->req->sink) {
		if (x->sink_max >= 0 && (int64_t)len > x->sink_max - x->sink_bytes) {
			snprintf(x->refused, sizeof(x->refused), "a body longer than the %" PRId64
			    " bytes its headers promised", x->sink_max);
			return 0;
		}
		x->sink_used = true;
		x->sink_bytes += (int64_t)len;
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

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;

	x->answered = true;
	s3_reply_header(x->rep, p, size * n);
	return size * n;
}

void
s3_reply_init(struct s3_reply *rep)
{
	memset(rep, 0, sizeof(*rep));
	rep->content_length = rep->range_first = rep->range_last = rep->total_length = -1;
}

/* A value for a message: printable ASCII, others as '?', at most 40 bytes. */
static void
shown_value(const char *v, size_t n, char *out, size_t outlen)
{
	size_t i;

	for (i = 0; i < n && i < 40 && i + 1 < outlen; i++)
		out[i] = v[i] >= 0x20 && v[i] < 0x7f ? v[i] : '?';
	out[i] = '\0';
}

static void
reply_bad(struct s3_reply *rep, const char *what, const char *v, size_t n)
{
	char shown[48];

	if (*rep->bad)
		return;		/* the first one says it */
	shown_value(v, n, shown, sizeof(shown));
	snprintf(rep->bad, sizeof(rep->bad), "%s \"%s%s\"", what, shown, n > 40 ? "..." : "");
}

/* If line is "name: value", its value (blanks trimmed) in v, n. */
static bool
header_is(const char *line, size_t len, const char *name, const char **v, size_t *n)
{
	size_t nl = strlen(name);
	const char *p, *e = line + len;

	if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return false;
	p = line + nl + 1;
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	while (e > p && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*v = p;
	*n = (size_t)(e - p);
	return true;
}

/* Copy a text header that must fit dst whole. */
static void
header_copy(struct s3_reply *rep, const char *line, size_t len, const char *name,
    char *dst, size_t dstlen)
{
	const char *v;
	size_t n;

	if (!header_is(line, len, name, &v, &n))
		return;
	if (n >= dstlen) {
		reply_bad(rep, name, v, n);
		return;
	}
	memcpy(dst, v, n);
	dst[n] = '\0';
}

void
s3_reply_header(struct s3_reply *rep, const char *line, size_t len)
{
	const char *v;
	size_t n;

	if (len > 5 && strncmp(line, "HTTP/", 5) == 0) {
		/* A new reply (after a 100 Continue): forget the last one's headers. */
		long status = rep->status;
		char *body = rep->body;
		size_t body_len = rep->body_len;

		s3_reply_init(rep);
		rep->status = status;
		rep->body = body;
		rep->body_len = body_len;
		return;
	}
	header_copy(rep, line, len, "x-amz-bucket-region", rep->bucket_region,
	    sizeof(rep->bucket_region));
	header_copy(rep, line, len, "date", rep->date, sizeof(rep->date));
	header_copy(rep, line, len, "last-modified", rep->last_modified, sizeof(rep->last_modified));
	header_copy(rep, line, len, "x-amz-checksum-crc32", rep->crc32, sizeof(rep->crc32));
	header_copy(rep, line, len, "x-amz-checksum-crc32c", rep->crc32c, sizeof(rep->crc32c));
	header_copy(rep, line, len, "x-amz-checksum-sha256", rep->sha256, sizeof(rep->sha256));
	header_copy(rep, line, len, "x-amz-checksum-type", rep->checksum_type,
	    sizeof(rep->checksum_type));
	if (header_is(line, len, "etag", &v, &n)) {
		/* It goes back out in If-Match: printable ASCII, nothing else. */
		bool printable = n > 0 && n < sizeof(rep->etag);

		for (size_t i = 0; i < n && printable; i++)
			if (v[i] < 0x21 || v[i] > 0x7e)
				printable = false;
		if (!printable) {
			reply_bad(rep, "malformed ETag", v, n);
		} else {
			memcpy(rep->etag, v, n);
			rep->etag[n] = '\0';
		}
	}
	if (header_is(line, len, "content-length", &v, &n)) {
		int64_t cl;

		if (s3_parse_size(v, n, &cl) != 0)
			reply_bad(rep, "malformed Content-Length", v, n);
		else if (rep->content_length >= 0 && rep->content_length != cl)
			reply_bad(rep, "a second, different Content-Length", v, n);
		else
			rep->content_length = cl;
	}
	if (header_is(line, len, "content-range", &v, &n)) {
		int64_t first, last, total;

		if (s3_parse_content_range(v, n, &first, &last, &total) != 0) {
			reply_bad(rep, "malformed Content-Range", v, n);
		} else if (rep->has_range) {
			reply_bad(rep, "a second Content-Range", v, n);
		} else {
			rep->range_first = first;
			rep->range_last = last;
			rep->total_length = total;
		}
		rep->has_range = true;
	}
}

int
s3_range_check(const struct s3_range *want, const struct s3_reply *rep, char *why,
    size_t whylen)
{
	int64_t last;

	if (*rep->bad) {
		snprintf(why, whylen, "%s", rep->bad);
		return -1;
	}
	if (rep->range_first < 0 || rep->total_length < 0) {
		snprintf(why, whylen, "a 206 reply without a Content-Range bytes FIRST-LAST/SIZE");
		return -1;
	}
	last = want->last >= 0 ? want->last : rep->total_length - 1;
	if (rep->range_first != want->first || rep->range_last != last ||
	    (want->total >= 0 && rep->total_length != want->total)) {
		char size[32] = "?";

		if (want->total >= 0)
			snprintf(size, sizeof(size), "%" PRId64, want->total);
		snprintf(why, whylen, "a 206 reply with Content-Range bytes %" PRId64 "-%" PRId64
		    "/%" PRId64 " for a request of bytes %" PRId64 "-%" PRId64 " of %s",
		    rep->range_first, rep->range_last, rep->total_length, want->first, last, size);
		return -1;
	}
	if (rep->content_length != last - want->first + 1) {
		if (rep->content_length < 0)
			snprintf(why, whylen, "a 206 reply without a Content-Length");
		else
			snprintf(why, whylen, "a 206 reply of %" PRId64 " bytes for a range of %"
			    PRId64, rep->content_length, last - want->first + 1);
		return -1;
	}
	return 0;
}

/* The fields of an S3 <Error> reply. */
struct s3err {
	char code[128], message[512], region[64], endpoint[256];
	bool is_error;		/* the root element is <Error> */
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
	if (e->depth == 1)
		e->is_error = strcmp(name, "Error") == 0;
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

/* A URL for messages: no userinfo, and no query of a presigned URL. */
static void
redact_url(const char *url, bool presigned, char *buf, size_t len)
{
	awscfg_redact_url(url, presigned, buf, len);
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
	struct xfer *x = arg;
	struct s3 *s = x->s;

	(void)dt, (void)dn, (void)ut, (void)un;
	if (s->tty && !x->answered && !x->waiting_said && time(NULL) - x->started >= WAIT_SAY) {
		/* A hung store is otherwise silence until the timeouts run out. */
		fprintf(stderr, "%s: waiting for an answer to %s %s (attempt %d of %d; %d s to "
		    "connect, %d s without a byte, then a retry)\n", prog, x->req->method, x->shown,
		    x->attempt, s->cfg->max_attempts, s->cfg->connect_timeout, s->cfg->read_timeout);
		x->waiting_said = true;
	}
	return s->cancel && *s->cancel;
}

/* "name: value" appended to a header list; NULL when out of memory. */
static struct curl_slist *
slist_add(struct curl_slist *hl, const char *name, const char *value)
{
	size_t n = strlen(name) + strlen(value) + 3;
	char *line = malloc(n);
	struct curl_slist *r = NULL;

	if (line != NULL) {
		snprintf(line, n, "%s: %s", name, value);
		r = curl_slist_append(hl, line);
		memset(line, 0, n);	/* it may be a secret */
		free(line);
	}
	if (r == NULL)
		curl_slist_free_all(hl);
	return r;
}

/*
 * url without the endpoint's userinfo ("user:password@"), malloc'd: what
 * is signed and what a presigned URL holds. curl gets the URL as it is
 * (the signature's Authorization header takes the place of the userinfo).
 */
static char *
without_userinfo(const char *url)
{
	const char *auth = strstr(url, "://"), *end, *at = NULL;
	size_t n = strlen(url);
	char *out;

	auth = auth ? auth + 3 : url;
	end = auth + strcspn(auth, "/?#");
	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	if (at == NULL) {
		memcpy(out, url, n + 1);
	} else {
		memcpy(out, url, (size_t)(auth - url));
		memcpy(out + (auth - url), at + 1, n - (size_t)(at + 1 - url) + 1);
	}
	return out;
}

/* PUT and POST carry a body, if only an empty one. */
static bool
sends_body(const char *method)
{
	return strcmp(method, "PUT") == 0 || strcmp(method, "POST") == 0;
}

static bool
has_header(const struct s3_request *req, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < req->nheaders; i++)
		if (strncasecmp(req->headers[i], name, n) == 0 && req->headers[i][n] == ':')
			return true;
	return false;
}

/* One attempt. Fills rep; returns the CURLcode. */
static CURLcode
attempt(struct s3 *s, const struct s3_request *req, const char *url, struct xfer *x)
{
	struct curl_slist *hl = NULL;
	struct sigv4_out so = { 0 };
	char amz_date[20], payload[65] = EMPTY_SHA256;
	time_t now = time(NULL) + s->clock_offset;
	struct tm tm;
	CURLcode rc;

	gmtime_r(&now, &tm);
	strftime(amz_date, sizeof(amz_date), "%Y%m%dT%H%M%SZ", &tm);
	for (size_t i = 0; i < req->nheaders; i++) {
		struct curl_slist *more = curl_slist_append(hl, req->headers[i]);

		if (more == NULL) {
			curl_slist_free_all(hl);
			return CURLE_OUT_OF_MEMORY;
		}
		hl = more;
	}
	if (req->body)
		sigv4_sha256_hex(req->body, req->body_len, payload);
	if (!s->cfg->no_sign && req->url == NULL) {
		char *signed_url = without_userinfo(url);
		int r = signed_url == NULL ? -1 : sigv4_sign(&s->sig, req->method, signed_url,
		    req->headers, req->nheaders, payload, amz_date, &so);

		free(signed_url);
		if (r != 0) {
			curl_slist_free_all(hl);
			return CURLE_URL_MALFORMAT;
		}
		if ((hl = slist_add(hl, "Authorization", so.authorization)) != NULL &&
		    (hl = slist_add(hl, "x-amz-date", amz_date)) != NULL)
			hl = slist_add(hl, "x-amz-content-sha256", payload);
		if (hl && s->cfg->session_token && *s->cfg->session_token)
			hl = slist_add(hl, "x-amz-security-token", s->cfg->session_token);
		sigv4_out_free(&so);
		if (hl == NULL)
			return CURLE_OUT_OF_MEMORY;
	}
	hl = curl_slist_append(hl, "Expect:");
	/* Not curl's form type: what a PUT sends becomes the object's type. */
	if (hl && (req->body || sends_body(req->method)) && !has_header(req, "Content-Type"))
		hl = curl_slist_append(hl, "Content-Type: application/octet-stream");
	if (hl == NULL)
		return CURLE_OUT_OF_MEMORY;

	curl_easy_reset(s->curl);
	s->curl_err[0] = '\0';
	curl_easy_setopt(s->curl, CURLOPT_ERRORBUFFER, s->curl_err);
	curl_easy_setopt(s->curl, CURLOPT_URL, url);
	/* The path goes out as signed: "a/../b" is a key, not a way elsewhere. */
	curl_easy_setopt(s->curl, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(s->curl, CURLOPT_USERAGENT, "bkpipe/" BKPIPE_VERSION);
	curl_easy_setopt(s->curl, CURLOPT_CONNECTTIMEOUT, (long)s->cfg->connect_timeout);
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
	if (req->body || sends_body(req->method)) {
		/* Always a Content-Length, 0 for a POST without a body. */
		curl_easy_setopt(s->curl, CURLOPT_POSTFIELDS, req->body ? req->body : "");
		curl_easy_setopt(s->curl, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)(req->body ? req->body_len : 0));
	}
	if (s->cancel || s->tty) {
		x->started = time(NULL);
		curl_easy_setopt(s->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(s->curl, CURLOPT_XFERINFODATA, x);
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

/* TLS trouble that a retry cannot mend: the certificate, the CA file, the key. */
static bool
tls_fatal(CURLcode rc)
{
	switch (rc) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
		return true;
	default:
		return false;
	}
}

/* The request's headers, its Range among them, each checked. */
static int
request_headers(const struct s3_request *req, const char **h, char *range, size_t rangelen,
    char *why, size_t whylen)
{
	size_t n = 0;

	for (size_t i = 0; i < req->nheaders; i++) {
		if (s3_header_check(req->headers[i], why, whylen) != 0)
			return -1;
		h[n++] = req->headers[i];
	}
	if (req->range) {
		if (req->range->first < 0 || req->range->first > S3_SIZE_MAX ||
		    req->range->last > S3_SIZE_MAX ||
		    (req->range->last >= 0 && req->range->last < req->range->first)) {
			snprintf(why, whylen, "a bad range");
			return -1;
		}
		if (req->range->last >= 0)
			snprintf(range, rangelen, "Range: bytes=%" PRId64 "-%" PRId64,
			    req->range->first, req->range->last);
		else
			snprintf(range, rangelen, "Range: bytes=%" PRId64 "-", req->range->first);
		h[n++] = range;
	}
	return (int)n;
}

static bool endpoint_said;	/* -v names the endpoint once a run */

/* An endpoint from the environment or a profile: a connection error says so. */
static bool
endpoint_hint(const struct s3 *s)
{
	return s->cfg->endpoint && strcmp(s->cfg->endpoint_from, "--endpoint-url") != 0;
}

/* The request with its retries; see s3_request. */
static int
perform(struct s3 *s, const struct s3_request *req, struct s3_reply *rep)
{
	char shown[2048], hbuf[128];
	int tries = 0;

	if (req->url == NULL && !s->cfg->no_sign && s->cfg->access_key == NULL) {
		snprintf(s->err, sizeof(s->err), "%s", s->cfg->no_creds ? s->cfg->no_creds :
		    "no credentials");
		return EXIT_USAGE;
	}
	if (s->verbose && s->cfg->endpoint && req->url == NULL && !endpoint_said) {
		char ep[512];

		awscfg_redact_url(s->cfg->endpoint, true, ep, sizeof(ep));
		fprintf(stderr, "%s: endpoint %s (from %s)\n", prog, ep, s->cfg->endpoint_from);
		endpoint_said = true;
	}
	for (;;) {
		char *url = req->url ? strdup(req->url) : request_url(s, req->bucket, req->key, req->query);
		struct xfer x = { .s = s, .req = req, .rep = rep, .shown = shown };
		struct s3err e;
		const char *code, *h;
		CURLcode rc;

		if (url == NULL && *s->err)
			return EXIT_USAGE;	/* request_url said why */
		if (url == NULL) {
			snprintf(s->err, sizeof(s->err), "out of memory");
			return EXIT_DATA;
		}
		s3_reply_init(rep);
		redact_url(url, req->url != NULL, shown, sizeof(shown));
		tries++;
		x.attempt = tries;
		rc = attempt(s, req, url, &x);
		free(url);
		if (rc == CURLE_OK && success(rep->status) && !x.checked)
			check_reply(&x);
		if (s->verbose)
			fprintf(stderr, "%s: %s %s -> %ld%s%s\n", prog, req->method, shown, rep->status,
			    rc != CURLE_OK ? ": " : "", rc != CURLE_OK ? curl_easy_strerror(rc) : "");
		if (x.range_ignored) {
			snprintf(s->err, sizeof(s->err), "%s %s: the server ignored the Range header",
			    req->method, shown);
			return EXIT_DATA;
		}
		if (*x.refused) {
			/* Not what was asked: asked again while nothing went on. */
			snprintf(s->err, sizeof(s->err), "%s %s: %s (after %d attempt%s)", req->method,
			    shown, x.refused, tries, tries == 1 ? "" : "s");
			s3_reply_free(rep);
			if (x.sink_used || tries >= s->cfg->max_attempts)
				return EXIT_DATA;
			backoff(tries);
			continue;
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
			const char *why = *s->curl_err ? s->curl_err : curl_easy_strerror(rc);

			if (rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL ||
			    tls_fatal(rc)) {
				snprintf(s->err, sizeof(s->err), "%s %s: %s%s", req->method, shown, why,
				    tls_fatal(rc) ? " (hint: check the endpoint's certificate and "
				    "AWS_CA_BUNDLE)" : "");
				s3_reply_free(rep);
				return EXIT_USAGE;
			}
			snprintf(s->err, sizeof(s->err), "%s %s: %s (after %d attempt%s)%s%s%s", req->method,
			    shown, why, tries, tries == 1 ? "" : "s",
			    endpoint_hint(s) ? " (hint: the endpoint comes from " : "",
			    endpoint_hint(s) ? s->cfg->endpoint_from : "", endpoint_hint(s) ? ")" : "");
			s3_reply_free(rep);
			/* A reply that is not HTTP (curl refused its framing) is the
			 * server's doing, as a malformed header is: data, not transient. */
			if (x.sink_used || tries >= s->cfg->max_attempts)
				return rc == CURLE_WEIRD_SERVER_REPLY ? EXIT_DATA : EXIT_TRANSIENT;
			backoff(tries);
			continue;
		}
		if (success(rep->status) && !req->error_in_200)
			return EXIT_OK;
		parse_error(rep->body, rep->body_len, &e);
		if (success(rep->status) && !e.is_error)
			return EXIT_OK;
		if (success(rep->status)) {
			/* An <Error> in a 200 reply: the 500 it stands for, retried as one. */
			if (s->verbose)
				fprintf(stderr, "%s: %s %s: an error in a %ld reply\n", prog, req->method,
				    shown, rep->status);
			rep->status = 500;
			if (!*e.code)
				snprintf(e.code, sizeof(e.code), "InternalError");
		}
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
		if (strcmp(code, "RequestTimeTooSkewed") == 0 && !s->skew_fixed && *rep->date) {
			int64_t server;

			if (units_parse_http_date(rep->date, &server) == 0) {
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
		    *e.region && strcmp(e.region, s->region) != 0 && !s->redirected &&
		    awscfg_region_ok(e.region)) {
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

int
s3_request(struct s3 *s, const struct s3_request *orig, struct s3_reply *rep)
{
	char range[64], why[128];
	const char **hdrs = calloc(orig->nheaders + 1, sizeof(*hdrs));
	struct s3_request r = *orig, *req = &r;
	int n, status;

	s->err[0] = '\0';
	s3_reply_init(rep);
	if (hdrs == NULL) {
		snprintf(s->err, sizeof(s->err), "out of memory");
		return EXIT_DATA;
	}
	if ((n = request_headers(orig, hdrs, range, sizeof(range), why, sizeof(why))) < 0) {
		snprintf(s->err, sizeof(s->err), "%s %s: %s", orig->method, orig->key ? orig->key : "",
		    why);
		free(hdrs);
		return EXIT_USAGE;
	}
	r.headers = hdrs;
	r.nheaders = (size_t)n;
	status = perform(s, req, rep);
	free(hdrs);
	return status;
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
	bool root_ok, truncated_seen;	/* a ListBucketResult, with IsTruncated */
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
	if (pg->depth == 1) {
		pg->root_ok = strcmp(name, "ListBucketResult") == 0;
	} else if (pg->depth == 2) {
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
		if (t == NULL || s3_parse_size(t, strlen(t), &pg->cur.size) != 0)
			pg->bad = true;
		free(t);
		break;
	case F_TRUNCATED:
		t = take_text(pg);
		/* Only "true" or "false": anything else could end a listing early. */
		pg->truncated = t && strcmp(t, "true") == 0;
		if (t == NULL || (strcmp(t, "true") != 0 && strcmp(t, "false") != 0) ||
		    pg->truncated_seen)
			pg->bad = true;
		pg->truncated_seen = true;
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

/*
 * A key of a listing asked with encoding-type=url, decoded in place as the
 * AWS SDKs decode it ("unquote plus"): '+' is a space, then %XX. AWS and
 * MinIO send a space as '+' and a '+' as %2B; Ceph RGW sends %20 and %2B,
 * which decode the same way. -1 on a bad escape or a NUL.
 */
static int
decode_listed(char *key)
{
	for (char *p = key; (p = strchr(p, '+')) != NULL; p++)
		*p = ' ';
	return decode_key(key);
}

/* Check and normalise the entries of a page; sort objects and prefixes together. */
static int
page_finish(struct page *pg, char *why, size_t len)
{
	for (size_t i = 0; i < pg->n; i++) {
		struct s3_entry *e = &pg->e[i];

		if (e->key == NULL || (pg->url_encoded && decode_listed((char *)e->key) != 0)) {
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

/* Append &name=value (escaped) to q; -1 when it does not fit whole. */
static int
query_add(char *q, size_t len, const char *name, const char *value)
{
	char *v;
	size_t used = strlen(q);
	int r;

	if (value == NULL)
		return 0;
	if ((v = s3_query_escape(value)) == NULL)
		return -1;
	r = snprintf(q + used, len - used, "&%s=%s", name, v);
	free(v);
	if (r < 0 || (size_t)r >= len - used) {
		q[used] = '\0';
		return -1;
	}
	return 0;
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
	else if (!pg.root_ok)
		snprintf(why, whylen, "not a ListBucketResult");
	else if (pg.bad)
		snprintf(why, whylen, "a malformed field");
	else if (!pg.truncated_seen)
		snprintf(why, whylen, "no IsTruncated: cannot tell whether the listing is whole");
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

		if (query_add(query, sizeof(query), "prefix", o->prefix && *o->prefix ? o->prefix : NULL) ||
		    query_add(query, sizeof(query), "delimiter", o->delimiter) ||
		    query_add(query, sizeof(query), "start-after", token ? NULL : o->start_after) ||
		    query_add(query, sizeof(query), "continuation-token", token)) {
			/* Never a shorter prefix than asked: it would list more. */
			snprintf(s->err, sizeof(s->err), "the prefix, start-after or continuation "
			    "token is too long for a request");
			free(token);
			return EXIT_USAGE;
		}
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
	char *full = request_url(s, bucket, key, NULL), *url, amz_date[20];
	struct sigv4_out so;
	time_t t = (time_t)now;
	struct tm tm;

	if (full == NULL)
		return NULL;
	url = without_userinfo(full);	/* a URL to hand out holds no password */
	free(full);
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
