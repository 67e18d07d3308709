/* The S3 layer's pure parts: URLs, escapes, and ListObjectsV2 pages. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "listing.h"
#include "s3.h"
#include "tap.h"

struct seen {
	char text[4096];
	int n, stop_at;
};

static int
collect(void *arg, const struct s3_entry *e)
{
	struct seen *s = arg;
	size_t at = strlen(s->text);

	if (e->is_prefix)
		snprintf(s->text + at, sizeof(s->text) - at, "P %s|", e->key);
	else
		snprintf(s->text + at, sizeof(s->text) - at, "%s %lld %s %s|", e->last_modified,
		    (long long)e->size, e->key, e->storage_class ? e->storage_class : "-");
	return ++s->n == s->stop_at ? 7 : 0;
}

static int
page(const char *xml, struct seen *s, char **next, char *why)
{
	memset(s->text, 0, sizeof(s->text));
	s->n = 0;
	return s3_list_page(xml, strlen(xml), collect, s, next, why, 256);
}

#define HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name>"
#define OBJ(k, t, n) "<Contents><Key>" k "</Key><LastModified>" t "</LastModified><ETag>&quot;abc&quot;</ETag><Size>" n "</Size><StorageClass>STANDARD</StorageClass></Contents>"

/* s3_parse_size on a C string. */
static int
size_of(const char *v, int64_t *n)
{
	return s3_parse_size(v, strlen(v), n);
}

static void
test_sizes(void)
{
	int64_t n = 7;

	ok(size_of("0", &n) == 0 && n == 0, "size: 0");
	ok(size_of("9007199254740992", &n) == 0 && n == S3_SIZE_MAX, "size: 2^53 is taken");
	ok(size_of("9007199254740993", &n) == -1, "size: 2^53 + 1 is refused");
	ok(size_of("0000000000000000001", &n) == 0 && n == 1, "size: 19 digits (leading zeros)");
	ok(size_of("00000000000000000001", &n) == -1, "size: 20 digits are refused");
	ok(size_of("9223372036854775807", &n) == -1, "size: INT64_MAX is refused");
	ok(size_of("99999999999999999999", &n) == -1, "size: 20 nines are refused, no overflow");
	ok(size_of("", &n) == -1, "size: empty is refused");
	ok(size_of("-5", &n) == -1 && size_of("+5", &n) == -1, "size: no sign");
	ok(size_of(" 5", &n) == -1 && size_of("5 ", &n) == -1, "size: no blank");
	ok(size_of("12abc", &n) == -1 && size_of("0x10", &n) == -1 && size_of("1e3", &n) == -1,
	    "size: digits only");
	ok(s3_parse_size("12", 1, &n) == 0 && n == 1, "size: only len bytes are read");
}

static int
range_of(const char *v, int64_t *a, int64_t *b, int64_t *t)
{
	return s3_parse_content_range(v, strlen(v), a, b, t);
}

static void
test_content_range(void)
{
	int64_t a, b, t;

	ok(range_of("bytes 0-0/1", &a, &b, &t) == 0 && a == 0 && b == 0 && t == 1,
	    "Content-Range: one byte of one");
	ok(range_of("bytes 100-199/200", &a, &b, &t) == 0 && a == 100 && b == 199 && t == 200,
	    "Content-Range: the last 100 bytes");
	ok(range_of("BYTES 1-2/3", &a, &b, &t) == 0, "Content-Range: the unit in any case");
	ok(range_of("bytes 1-2/*", &a, &b, &t) == 0 && a == 1 && b == 2 && t == -1,
	    "Content-Range: an unknown total is -1");
	ok(range_of("bytes */1000", &a, &b, &t) == 0 && a == -1 && b == -1 && t == 1000,
	    "Content-Range: a 416's bytes */N gives the size alone");
	ok(range_of("bytes */*", &a, &b, &t) == -1, "Content-Range: */* is refused");
	ok(range_of("bytes 5-4/10", &a, &b, &t) == -1 && a == -1 && b == -1 && t == -1,
	    "Content-Range: first > last is refused, all -1");
	ok(range_of("bytes 0-10/10", &a, &b, &t) == -1, "Content-Range: last >= total is refused");
	ok(range_of("bytes 0-9/10", &a, &b, &t) == 0, "Content-Range: last = total - 1 is taken");
	ok(range_of("bytes 0-9007199254740991/9007199254740992", &a, &b, &t) == 0 &&
	    t == S3_SIZE_MAX, "Content-Range: a total of 2^53");
	ok(range_of("bytes 0-1/9007199254740993", &a, &b, &t) == -1,
	    "Content-Range: a total over 2^53 is refused");
	ok(range_of("bytes 0-1/99999999999999999999", &a, &b, &t) == -1,
	    "Content-Range: a total of 20 digits is refused");
	ok(range_of("bytes  0-1/2", &a, &b, &t) == -1 && range_of("bytes 0 -1/2", &a, &b, &t) == -1 &&
	    range_of("bytes 0- 1/2", &a, &b, &t) == -1 && range_of("bytes 0-1/ 2", &a, &b, &t) == -1 &&
	    range_of("bytes 0-1 /2", &a, &b, &t) == -1, "Content-Range: no blank inside");
	ok(range_of("bytes -1-2/3", &a, &b, &t) == -1 && range_of("bytes +1-2/3", &a, &b, &t) == -1 &&
	    range_of("bytes 1-+2/3", &a, &b, &t) == -1 && range_of("bytes 1-2/-3", &a, &b, &t) == -1,
	    "Content-Range: no signs");
	ok(range_of("bytes 1-2", &a, &b, &t) == -1 && range_of("bytes 1/2", &a, &b, &t) == -1 &&
	    range_of("bytes=1-2/3", &a, &b, &t) == -1 && range_of("1-2/3", &a, &b, &t) == -1 &&
	    range_of("", &a, &b, &t) == -1 && range_of("bytes ", &a, &b, &t) == -1,
	    "Content-Range: the form is exact");
	ok(range_of("bytes 1-2/3/4", &a, &b, &t) == -1 && range_of("bytes 1-2-3/4", &a, &b, &t) == -1,
	    "Content-Range: nothing more");
}

/* Feed header lines, one a string, to a fresh reply. */
static void
headers(struct s3_reply *rep, const char *const *lines)
{
	s3_reply_init(rep);
	rep->status = 206;
	for (; *lines; lines++)
		s3_reply_header(rep, *lines, strlen(*lines));
}

static void
test_reply_headers(void)
{
	struct s3_reply rep;
	struct s3_range want = { 100, 199, 1000 };
	char why[320];

	headers(&rep, (const char *const[]){ "HTTP/1.1 206 Partial Content\r\n",
	    "Content-Length: 100\r\n", "Content-Range: bytes 100-199/1000\r\n",
	    "ETag: \"abc\"\r\n", NULL });
	ok(*rep.bad == '\0' && rep.content_length == 100 && rep.range_first == 100 &&
	    rep.range_last == 199 && rep.total_length == 1000, "a 206's headers are taken");
	is_str(rep.etag, "\"abc\"", "and its ETag");
	is_int(s3_range_check(&want, &rep, why, sizeof(why)), 0, "the range asked for passes");

	want.first = 101;
	is_int(s3_range_check(&want, &rep, why, sizeof(why)), -1, "another first byte is refused");
	ok(strstr(why, "bytes 100-199/1000") != NULL, "saying what came (%s)", why);
	want = (struct s3_range){ 100, 200, 1000 };
	is_int(s3_range_check(&want, &rep, why, sizeof(why)), -1, "another last byte is refused");
	want = (struct s3_range){ 100, 199, 1001 };
	is_int(s3_range_check(&want, &rep, why, sizeof(why)), -1, "another total is refused");
	want = (struct s3_range){ 100, -1, 200 };
	headers(&rep, (const char *const[]){ "Content-Length: 100\r\n",
	    "Content-Range: bytes 100-199/200\r\n", NULL });
	is_int(s3_range_check(&want, &rep, why, sizeof(why)), 0, "to the end: the total decides");

	want = (struct s3_range){ 100, 199, 1000 };
	headers(&rep, (const char *const[]){ "Content-Length: 101\r\n",
	    "Content-Range: bytes 100-199/1000\r\n", NULL });
	is_int(s3_range_check(&want, &rep, why, sizeof(why)), -1,
	    "a Content-Length longer than the range is refused");
	headers(&rep, (const char *const[]){ "Content-Length: 99\r\n",
	    "Content-Range: bytes 100-199/1000\r\n", NULL });
	is_int(s3_range_check(&want, &rep, why, sizeof(why)), -1,
	    "a Content-Length shorter than the range is refused");
	headers(&rep, (const char *const[]){ "Content-Range: bytes 100-199/1000\r\n", NULL });
	is_int(s3_range_check(&want, &rep, why, sizeof(why)), -1, "no Content-Length is refused");
	headers(&rep, (const char *const[]){ "Content-Length: 100\r\n", NULL });
	is_int(s3_range_check(&want, &rep, why, sizeof(why)), -1, "no Content-Range is refused");
	headers(&rep, (const char *const[]){ "Content-Length: 100\r\n",
	    "Content-Range: bytes */1000\r\n", NULL });
	is_int(s3_range_check(&want, &rep, why, sizeof(why)), -1, "bytes */N on a 206 is refused");

	headers(&rep, (const char *const[]){ "Content-Length: 99999999999999999999\r\n", NULL });
	ok(*rep.bad && rep.content_length == -1, "an absurd Content-Length: bad, and stays -1 (%s)",
	    rep.bad);
	is_int(s3_range_check(&want, &rep, why, sizeof(why)), -1, "and the range check says so");
	headers(&rep, (const char *const[]){ "Content-Length: -5\r\n", NULL });
	ok(*rep.bad && rep.content_length == -1, "a negative Content-Length is bad");
	headers(&rep, (const char *const[]){ "content-length:   42  \r\n", NULL });
	ok(*rep.bad == '\0' && rep.content_length == 42, "blanks around a value, any case of name");
	headers(&rep, (const char *const[]){ "Content-Length: 4 2\r\n", NULL });
	ok(*rep.bad, "a blank inside a number is bad");
	headers(&rep, (const char *const[]){ "Content-Length: 42\r\n", "Content-Length: 43\r\n", NULL });
	ok(*rep.bad, "two different Content-Lengths are bad");
	headers(&rep, (const char *const[]){ "Content-Length: 42\r\n", "Content-Length: 42\r\n", NULL });
	ok(*rep.bad == '\0' && rep.content_length == 42, "the same Content-Length twice is one");
	headers(&rep, (const char *const[]){ "Content-Range: bytes 0-1/2\r\n",
	    "Content-Range: bytes 0-1/2\r\n", NULL });
	ok(*rep.bad, "two Content-Ranges are bad");
	headers(&rep, (const char *const[]){ "Content-Range: bytes 5-4/10\r\n", NULL });
	ok(*rep.bad && rep.range_first == -1, "a malformed Content-Range is bad");
	headers(&rep, (const char *const[]){ "Content-Length: 12abc\r\n", "HTTP/1.1 200 OK\r\n",
	    "Content-Length: 12\r\n", NULL });
	ok(*rep.bad == '\0' && rep.content_length == 12, "a new status line starts a new reply");

	headers(&rep, (const char *const[]){ "ETag: \"a\x01\"\r\n", NULL });
	ok(*rep.bad && *rep.etag == '\0', "an ETag with a control byte is bad");
	headers(&rep, (const char *const[]){ "ETag: \"a b\"\r\n", NULL });
	ok(*rep.bad && *rep.etag == '\0', "an ETag with a blank inside is bad");
	{
		char line[400] = "ETag: \"";

		memset(line + 7, 'a', 300);
		strcpy(line + 307, "\"\r\n");
		headers(&rep, (const char *const[]){ line, NULL });
		ok(*rep.bad && *rep.etag == '\0', "an ETag too long for the reply is bad, not cut");
		memset(line, 'x', sizeof(line) - 1);
		memcpy(line, "Last-Modified: ", 15);
		line[sizeof(line) - 1] = '\0';
		headers(&rep, (const char *const[]){ line, NULL });
		ok(*rep.bad && *rep.last_modified == '\0', "so is a Last-Modified too long");
	}
	headers(&rep, (const char *const[]){ "Content-Lengthy: 5\r\n", "X: Content-Length: 5\r\n", NULL });
	ok(*rep.bad == '\0' && rep.content_length == -1, "only the header of that name counts");
}

static void
test_buckets_and_keys(void)
{
	const char *good[] = { "abc", "a.b-c", "backups", "123", "1.2.3", "a-b.c-d.e",
	    "xn--bcher-kva", NULL };
	const char *bad[] = { "ab", "", "ABC", "a_b", "a..b", ".ab", "ab.", "-ab", "ab-",
	    "x@host:9000#", "x/y", "a b", "a%41b", "192.168.1.1", "a\tb",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL };
	char why[128], *b, *k;

	for (const char **p = good; *p; p++)
		ok(s3_bucket_check(*p, why, sizeof(why)) == 0, "bucket \"%s\" is a bucket name", *p);
	for (const char **p = bad; *p; p++)
		ok(s3_bucket_check(*p, why, sizeof(why)) == -1 && *why, "bucket \"%s\" is refused: %s",
		    *p, why);
	ok(s3_bucket_check("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", why,
	    sizeof(why)) == 0, "a bucket name of 63 characters");

	ok(s3_parse_url("s3://x@evil:9000#/k", &b, &k, why, sizeof(why)) == -1 && b == NULL &&
	    k == NULL, "s3_parse_url refuses the bucket x@evil:9000# (%s)", why);
	ok(s3_object_url("s3://backups/db/a%20b", false, &b, &k, why, sizeof(why)) == 0 &&
	    strcmp(k, "db/a b") == 0, "s3_object_url decodes the key");
	free(b);
	free(k);
	ok(s3_object_url("s3://backups/db/../../other/k", false, &b, &k, why, sizeof(why)) == 0 &&
	    strcmp(k, "db/../../other/k") == 0, "dot segments stay in the key");
	free(b);
	free(k);
	ok(s3_object_url("s3://backups/db/a%00b", false, &b, &k, why, sizeof(why)) == -1 &&
	    b == NULL && k == NULL, "a key with %%00 is refused (%s)", why);
	ok(s3_object_url("s3://backups/db/a%2", false, &b, &k, why, sizeof(why)) == -1,
	    "a cut escape is refused");
	ok(s3_object_url("s3://backups/", false, &b, &k, why, sizeof(why)) == -1,
	    "no key is refused");
	ok(s3_object_url("s3://backups/", true, &b, &k, why, sizeof(why)) == 0 && *k == '\0',
	    "unless it may be empty");
	free(b);
	free(k);
	ok(s3_object_url("s3://Backups/k", false, &b, &k, why, sizeof(why)) == -1,
	    "a bad bucket is refused");
	ok(s3_object_url("s3://a%40b.example/k", false, &b, &k, why, sizeof(why)) == -1,
	    "an escape in the bucket is refused, not decoded");
}

static void
test_header_check(void)
{
	const char *good[] = { "Content-Type: text/plain", "x-amz-meta-a.b_c~!: v\tw", "X:",
	    "x-amz-meta-k: caf\xc3\xa9", NULL };
	const char *bad[] = { ": v", "x y: v", "x\r\nEvil: 1: v", "x-amz-meta-k: a\r\nEvil: 1",
	    "x-amz-meta-k: a\nb", "x-amz-meta-k: a\rb", "x-amz-meta-k: a\x7f", "x-amz-meta-k: \x01",
	    "x(y): v", "x@y: v", "x\"y: v", "no colon", "x-amz-meta-\xc3\xa9: v", NULL };
	char why[128];

	for (const char **p = good; *p; p++)
		ok(s3_header_check(*p, why, sizeof(why)) == 0, "header \"%s\" is taken", *p);
	for (const char **p = bad; *p; p++)
		ok(s3_header_check(*p, why, sizeof(why)) == -1, "a bad header is refused: %s", why);
}

int
main(void)
{
	struct seen s = { .stop_at = -1 };
	char why[256], *next, *b, *k;

	ok(s3_parse_url("s3://backups/db/x.sql.gz", &b, &k, why, sizeof(why)) == 0 && strcmp(b, "backups") == 0 &&
	    strcmp(k, "db/x.sql.gz") == 0, "s3://bucket/key splits");
	free(b);
	free(k);
	ok(s3_parse_url("s3://backups", &b, &k, why, sizeof(why)) == 0 && strcmp(b, "backups") == 0 && *k == '\0',
	    "s3://bucket has an empty key");
	free(b);
	free(k);
	ok(s3_parse_url("s3://backups//x", &b, &k, why, sizeof(why)) == 0 && strcmp(k, "/x") == 0,
	    "a key may start with /");
	free(b);
	free(k);
	ok(s3_parse_url("https://x/y", &b, &k, why, sizeof(why)) == -1, "not s3:// is refused");
	ok(s3_parse_url("s3:///key", &b, &k, why, sizeof(why)) == -1, "an empty bucket is refused");

	k = s3_listing_escape("db/a b\t\n%~\x01\x7f\xc3\xa9.gz");
	is_str(k, "db/a b%09%0A%25~%01%7F\xc3\xa9.gz", "listing escape: controls, TAB, LF and %% only");
	free(k);
	k = s3_query_escape("db/a b+=&~");
	is_str(k, "db%2Fa%20b%2B%3D%26~", "query escape: all but unreserved");
	free(k);
	k = strdup("a%20b%2Fc%0A");
	ok(listing_decode(k) == 0 && strcmp(k, "a b/c\n") == 0, "url decode");
	free(k);
	k = strdup("bad%2");
	ok(listing_decode(k) == -1, "a cut escape is refused");
	free(k);

	is_int(page(HEAD "<EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>"
	    OBJ("db/a%20b%0A.sql", "2026-01-26T03:00:15.000Z", "10")
	    OBJ("db/c", "2026-01-27T03:00:15Z", "0")
	    "<CommonPrefixes><Prefix>db/b%2F/</Prefix></CommonPrefixes></ListBucketResult>",
	    &s, &next, why), 0, "a page parses");
	is_str(s.text, "2026-01-26T03:00:15Z 10 db/a b\n.sql STANDARD|P db/b//|"
	    "2026-01-27T03:00:15Z 0 db/c STANDARD|",
	    "keys decoded, times normalised, prefixes merged in key order");
	ok(next == NULL, "the last page has no token");

	is_int(page(HEAD "<EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>"
	    OBJ("db/a+b%2Bc%20d%25+", "2026-01-26T03:00:15.000Z", "1")
	    "<CommonPrefixes><Prefix>db/x+y/</Prefix></CommonPrefixes></ListBucketResult>",
	    &s, &next, why), 0, "a page as AWS and MinIO encode it parses");
	is_str(s.text, "2026-01-26T03:00:15Z 1 db/a b+c d%  STANDARD|P db/x y/|",
	    "listing keys decoded as the SDKs do: '+' is a space, %%2B a '+' (keys and prefixes)");
	is_int(page(HEAD "<EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>"
	    OBJ("db/a%2" "0", "2026-01-26T03:00:15.000Z", "1") OBJ("a+%00", "2026-01-26T03:00:15.000Z", "1")
	    "</ListBucketResult>", &s, &next, why), -1, "a listed key with %00 is refused, '+' or not");

	ok(s3_etag_equal("\"abc-2\"", "abc-2") && s3_etag_equal("abc-2", "\"abc-2\"") &&
	    s3_etag_equal("\"abc\"", "\"abc\"") && s3_etag_equal("abc", "abc"),
	    "an ETag is the same with or without its quotes (Ceph 18.2, 19.2 Complete)");
	ok(!s3_etag_equal("\"abc\"", "\"abd\"") && !s3_etag_equal("\"abc", "abc") &&
	    !s3_etag_equal("", "") && !s3_etag_equal("\"\"", "") && !s3_etag_equal("W/\"abc\"", "abc"),
	    "different ETags, a half-quoted or an empty one are not the same");

	page(HEAD "<IsTruncated>false</IsTruncated>" OBJ("db/a%20b", "2026-01-26T03:00:15.000Z", "1")
	    "</ListBucketResult>", &s, &next, why);
	is_str(s.text, "2026-01-26T03:00:15Z 1 db/a%20b STANDARD|",
	    "without EncodingType url, keys are taken as they are");

	is_int(page(HEAD "<IsTruncated>true</IsTruncated><NextContinuationToken>1/ab==</NextContinuationToken>"
	    OBJ("k", "2026-01-26T03:00:15.000Z", "1") "</ListBucketResult>", &s, &next, why), 0,
	    "a truncated page with a token parses");
	is_str(next, "1/ab==", "and gives its token");
	free(next);

	is_int(page(HEAD "<IsTruncated>true</IsTruncated>" OBJ("k", "2026-01-26T03:00:15.000Z", "1")
	    "</ListBucketResult>", &s, &next, why), -1, "a truncated page without a token is an error");
	is_str(why, "a truncated page without a continuation token", "saying so");
	is_int(s.n, 0, "and nothing of it is printed");

	is_int(page(HEAD OBJ("k", "2026-01-26T03:00:15.000Z", "-1") "</ListBucketResult>", &s, &next,
	    why), -1, "a negative size is an error");
	is_int(page(HEAD OBJ("k", "yesterday", "1") "</ListBucketResult>", &s, &next, why), -1,
	    "a bad LastModified is an error");
	is_int(page(HEAD "<Contents><Size>1</Size></Contents></ListBucketResult>", &s, &next, why), -1,
	    "an entry without a key is an error");
	is_int(page(HEAD OBJ("k", "2026-01-26T03:00:15.000Z", "1"), &s, &next, why), -1,
	    "a cut reply is an error");
	ok(strstr(why, "line") != NULL, "naming the XML error (%s)", why);
	is_int(page("", &s, &next, why), -1, "an empty reply is an error");

	is_int(page("<HTML><BODY><pre>hello</pre></BODY></HTML>", &s, &next, why), -1,
	    "a well-formed page that is not a ListBucketResult is an error");
	is_str(why, "not a ListBucketResult", "saying so");
	is_int(page(HEAD OBJ("k", "2026-01-26T03:00:15.000Z", "1") "</ListBucketResult>", &s, &next,
	    why), -1, "a page without IsTruncated is an error");
	is_int(page(HEAD "<IsTruncated>TRUE</IsTruncated>" OBJ("k", "2026-01-26T03:00:15.000Z", "1")
	    "</ListBucketResult>", &s, &next, why), -1, "IsTruncated other than true or false is an error");
	is_int(page(HEAD "<IsTruncated>false</IsTruncated><IsTruncated>true</IsTruncated>"
	    "</ListBucketResult>", &s, &next, why), -1, "IsTruncated twice is an error");
	is_int(page(HEAD "<IsTruncated>false</IsTruncated>" OBJ("k", "2026-01-26T03:00:15.000Z",
	    "9007199254740993") "</ListBucketResult>", &s, &next, why), -1,
	    "a Size over 2^53 is an error");

	s.stop_at = 1;
	is_int(page(HEAD "<IsTruncated>true</IsTruncated><NextContinuationToken>t</NextContinuationToken>"
	    OBJ("a", "2026-01-26T03:00:15.000Z", "1") OBJ("b", "2026-01-26T03:00:15.000Z", "1")
	    "</ListBucketResult>", &s, &next, why), 7, "the callback can stop the listing");
	ok(s.n == 1 && next == NULL, "after one entry, with no token");

	test_sizes();
	test_content_range();
	test_reply_headers();
	test_buckets_and_keys();
	test_header_check();
	return tap_done();
}
