#include <stdio.h>
#include <string.h>

#include "err.h"
#include "sniff.h"

static int
has(const unsigned char *p, size_t n, size_t off, const char *magic, size_t mlen)
{
	return n >= off + mlen && memcmp(p + off, magic, mlen) == 0;
}

/* Text: no NUL and no control bytes other than whitespace in what we have. */
static int
is_text(const unsigned char *p, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = p[i];

		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f')
			return 0;
		if (c == 0x7f)
			return 0;
	}
	return 1;
}

enum sniff_kind
sniff(const unsigned char *p, size_t n)
{
	if (has(p, n, 0, "\x1f\x8b", 2))
		return SNIFF_GZIP;
	if (has(p, n, 0, "PGDMP", 5))
		return SNIFF_PGDMP;
	if (has(p, n, 0, "\x28\xb5\x2f\xfd", 4))
		return SNIFF_ZSTD;
	if (has(p, n, 0, "\xfd" "7zXZ\0", 6))
		return SNIFF_XZ;
	if (has(p, n, 0, "BZh", 3) && n > 3 && p[3] >= '1' && p[3] <= '9')
		return SNIFF_BZIP2;
	if (has(p, n, 0, "PK\x03\x04", 4))
		return SNIFF_ZIP;
	if (has(p, n, 257, "ustar", 5))
		return SNIFF_TAR;
	if (is_text(p, n < 512 ? n : 512))
		return SNIFF_TEXT;
	return SNIFF_UNKNOWN;
}

const char *
sniff_name(enum sniff_kind k)
{
	switch (k) {
	case SNIFF_GZIP:	return "gzip data";
	case SNIFF_PGDMP:	return "a pg_dump custom-format archive";
	case SNIFF_TAR:		return "a tar archive";
	case SNIFF_ZSTD:	return "zstd data";
	case SNIFF_XZ:		return "xz data";
	case SNIFF_BZIP2:	return "bzip2 data";
	case SNIFF_ZIP:		return "a zip archive";
	case SNIFF_TEXT:	return "plain text";
	case SNIFF_UNKNOWN:	break;
	}
	return "unknown data";
}

int
sniff_is_binary(enum sniff_kind k)
{
	return k != SNIFF_TEXT && k != SNIFF_UNKNOWN;
}

const char *
sniff_not_sql(const unsigned char *p, size_t n, char *buf, size_t len)
{
	enum sniff_kind k = sniff(p, n);

	switch (k) {
	case SNIFF_GZIP:
		return "this is gzip-compressed data, not SQL; pipe it through gzcat-verify";
	case SNIFF_PGDMP:
		snprintf(buf, len, "this is a pg_dump custom-format archive, not SQL; restore it with "
		    "pg_restore -d, or turn it into SQL for %s with pg_restore -f - FILE", prog);
		return buf;
	case SNIFF_TAR:
		return "this is a tar archive (pg_dump -Ft?), not SQL; restore it with "
		    "pg_restore -d, or turn it into SQL with pg_restore -f - FILE";
	case SNIFF_ZSTD:
	case SNIFF_XZ:
	case SNIFF_BZIP2:
	case SNIFF_ZIP:
		snprintf(buf, len, "this is %s, not SQL; decompress it first", sniff_name(k));
		return buf;
	case SNIFF_UNKNOWN:
		return n > 0 ? "this is binary data, not SQL" : NULL;
	case SNIFF_TEXT:
		break;
	}
	return NULL;
}
