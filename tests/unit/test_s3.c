/* The S3 layer's pure parts: URLs, escapes, and ListObjectsV2 pages. */
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

int
main(void)
{
	struct seen s = { .stop_at = -1 };
	char why[256], *next, *b, *k;

	ok(s3_parse_url("s3://backups/db/x.sql.gz", &b, &k) == 0 && strcmp(b, "backups") == 0 &&
	    strcmp(k, "db/x.sql.gz") == 0, "s3://bucket/key splits");
	free(b);
	free(k);
	ok(s3_parse_url("s3://backups", &b, &k) == 0 && strcmp(b, "backups") == 0 && *k == '\0',
	    "s3://bucket has an empty key");
	free(b);
	free(k);
	ok(s3_parse_url("s3://backups//x", &b, &k) == 0 && strcmp(k, "/x") == 0,
	    "a key may start with /");
	free(b);
	free(k);
	ok(s3_parse_url("https://x/y", &b, &k) == -1, "not s3:// is refused");
	ok(s3_parse_url("s3:///key", &b, &k) == -1, "an empty bucket is refused");

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

	s.stop_at = 1;
	is_int(page(HEAD "<IsTruncated>true</IsTruncated><NextContinuationToken>t</NextContinuationToken>"
	    OBJ("a", "2026-01-26T03:00:15.000Z", "1") OBJ("b", "2026-01-26T03:00:15.000Z", "1")
	    "</ListBucketResult>", &s, &next, why), 7, "the callback can stop the listing");
	ok(s.n == 1 && next == NULL, "after one entry, with no token");
	return tap_done();
}
