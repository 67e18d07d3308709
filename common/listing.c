/*
 * Listing lines, and the line reader every program that reads listings
 * uses. Each parser here checks a byte is there before it reads it (a
 * NUL never matches a digit or a separator, so a short field stops the
 * parse where it ends), takes every field at its exact width and range,
 * and keeps nothing from one line to the next.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "listing.h"
#include "units.h"

#define STR(x) #x
#define XSTR(x) STR(x)
#define TOO_LONG "longer than " XSTR(LISTING_LINE_MAX) " bytes, the most a line may be"

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

bool
listing_civil_valid(const int v[6])
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y = v[0], leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return y >= 1970 && y <= 9999 && v[1] >= 1 && v[1] <= 12 && v[2] >= 1 &&
	    v[2] <= mdays[v[1] - 1] + (v[1] == 2 && leap) && v[3] >= 0 && v[3] <= 23 &&
	    v[4] >= 0 && v[4] <= 59 && v[5] >= 0 && v[5] <= 59;
}

int
listing_civil(const char *s, char sep, int v[6])
{
	/* "YYYY-MM-DD?HH:MM:SS": a digit where the picture has a 9 */
	static const char picture[] = "9999-99-99?99:99:99";
	static const int field[] = { 0, 0, 0, 0, -1, 1, 1, -1, 2, 2, -1, 3, 3, -1, 4, 4, -1, 5, 5 };

	for (int i = 0; i < 6; i++)
		v[i] = 0;
	for (size_t i = 0; i < sizeof(picture) - 1; i++) {
		char want = picture[i] == '?' ? sep : picture[i];

		if (want == '9') {
			if (!is_digit(s[i]))
				return -1;
			v[field[i]] = v[field[i]] * 10 + (s[i] - '0');
		} else if (s[i] != want) {
			return -1;
		}
	}
	return listing_civil_valid(v) ? 0 : -1;
}

int
listing_size(const char *s, size_t n, int64_t *size)
{
	int64_t v = 0;

	if (n == 0 || n > 19)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(s[i]) || v > (INT64_MAX - (s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*size = v;
	return 0;
}

/* A listing time, "2026-01-26T03:00:15Z" or with a fraction of a second
 * of 1 to 9 digits ("...15.000Z"), exactly the n bytes at s. */
static int
utc_time(const char *s, size_t n, int64_t *t)
{
	int v[6];
	size_t frac = 0;

	if (n < 20 || listing_civil(s, 'T', v) != 0)
		return -1;
	if (s[19] == '.') {
		while (20 + frac < n && is_digit(s[20 + frac]))
			frac++;
		if (frac < 1 || frac > 9)
			return -1;
		frac++;		/* the '.' */
	}
	if (n != 19 + frac + 1 || s[19 + frac] != 'Z')
		return -1;
	*t = units_timegm(v[0], v[1], v[2], v[3], v[4], v[5]);
	return 0;
}

const char *
listing_check_escapes(const char *s)
{
	for (const char *p = s; *p; p++) {
		if (*p != '%')
			continue;
		if (units_hexdigit(p[1]) < 0 || units_hexdigit(p[2]) < 0)
			return "a bad percent escape (% is written %25)";
		if (p[1] == '0' && p[2] == '0')
			return "%00 in the URL: no key holds a NUL";
		p += 2;
	}
	return NULL;
}

/* What is wrong with a listing URL, or NULL: s3://bucket/key, both
 * non-empty, no raw control byte, good escapes. */
static const char *
url_problem(const char *url)
{
	const char *b = url + 5, *slash;

	if (strncmp(url, "s3://", 5) != 0 || (slash = strchr(b, '/')) == NULL || slash == b ||
	    slash[1] == '\0')
		return "the URL is not s3://bucket/key";
	for (const unsigned char *p = (const unsigned char *)url; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return "a control byte in the URL (they are written %XX)";
	return listing_check_escapes(url);
}

int
listing_parse(char *line, struct listing *l, const char **why)
{
	char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
	const char *bad = NULL, *size;
	size_t tlen, slen;

	if (t1 == NULL || t2 == NULL || strchr(t2 + 1, '\t')) {
		if (why)
			*why = "not a listing line: expected TIME, SIZE and URL separated by 2 TABs";
		return -1;
	}
	*l = (struct listing){ 0, 0, t2 + 1 };
	size = t1 + 1;
	tlen = (size_t)(t1 - line);
	slen = (size_t)(t2 - size);
	if (tlen == 1 && slen == 1 && line[0] == '-' && size[0] == '-') {
		l->size = -1;	/* a common prefix */
	} else if (utc_time(line, tlen, &l->mtime) != 0) {
		bad = "not a listing line: the time is not a UTC time like 2026-01-26T03:00:15Z";
	} else if (listing_size(size, slen, &l->size) != 0) {
		bad = "not a listing line: the size is not a number of bytes";
	}
	if (bad == NULL)
		bad = url_problem(l->url);
	if (bad) {
		if (why)
			*why = bad;
		return -1;
	}
	*t1 = *t2 = '\0';
	return 0;
}

char *
listing_url(char *line)
{
	char *tab = strrchr(line, '\t');

	return tab ? tab + 1 : line;
}

void
listing_reader_init(struct listing_reader *r, FILE *f)
{
	r->f = f;
	r->lineno = 0;
	r->skip = false;
	r->line[0] = '\0';
}

int
listing_getline(struct listing_reader *r, size_t *len, const char **why)
{
	size_t n = 0;
	int c;

	*len = 0;
	r->line[0] = '\0';
	if (r->skip) {		/* the rest of a line that was too long */
		while ((c = getc_unlocked(r->f)) != EOF && c != '\n')
			;
		r->skip = false;
		if (c == EOF)
			return ferror(r->f) ? -2 : 0;
	}
	if ((c = getc_unlocked(r->f)) == EOF)
		return ferror(r->f) ? -2 : 0;
	r->lineno++;
	for (; c != EOF && c != '\n'; c = getc_unlocked(r->f)) {
		if (n == LISTING_LINE_MAX + 1) {	/* room for a CR only */
			r->skip = true;
			*why = TOO_LONG;
			return -1;
		}
		r->line[n++] = (char)c;
	}
	if (c == EOF && ferror(r->f))
		return -2;
	if (n > 0 && r->line[n - 1] == '\r')
		n--;
	if (n > LISTING_LINE_MAX) {
		*why = TOO_LONG;
		return -1;
	}
	r->line[n] = '\0';
	if (memchr(r->line, '\0', n)) {
		*why = "a NUL byte in the line";
		return -1;
	}
	*len = n;
	return 1;
}

/* The URL of a line read for its URL (*url), or what is wrong with it. */
static const char *
url_of_line(char *line, bool https, const char **url)
{
	struct listing l;
	const char *why = NULL;

	if (strchr(line, '\t')) {
		if (listing_parse(line, &l, &why) != 0)
			return why;
		if (l.size < 0)
			return "a common prefix, not an object";
		*url = l.url;
		return NULL;
	}
	*url = line;
	if (strncmp(line, "s3://", 5) == 0)
		return url_problem(line);
	if (!https || strncmp(line, "https://", 8) != 0)
		return "expected an s3:// URL or a listing line";
	for (const unsigned char *p = (const unsigned char *)line; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return "a control byte in the URL";
	return NULL;
}

int
listing_read_urls(FILE *f, bool https, int (*fn)(void *arg, const char *url), void *arg)
{
	struct listing_reader *rd = malloc(sizeof(*rd));
	int status = EXIT_OK;

	if (rd == NULL) {
		warn("out of memory");
		return EXIT_DATA;
	}
	listing_reader_init(rd, f);
	while (status == EXIT_OK) {
		const char *url = NULL, *why = NULL;
		size_t n;
		int r = listing_getline(rd, &n, &why);

		if (r == 0)
			break;
		if (r == -2) {
			warn("stdin: read error:");
			status = EXIT_DATA;
		} else if (r == 1 && n == 0) {
			continue;
		} else if (r < 0 || (why = url_of_line(rd->line, https, &url)) != NULL) {
			warn("stdin line %lu: %s", rd->lineno, why);
			status = EXIT_USAGE;
		} else {
			status = fn(arg, url);
		}
	}
	free(rd);
	return status;
}

int
listing_decode(char *s)
{
	char *o = s;

	if (listing_check_escapes(s) != NULL)
		return -1;
	for (char *p = s; *p; p++) {
		if (*p == '%') {
			*o++ = (char)(units_hexdigit(p[1]) << 4 | units_hexdigit(p[2]));
			p += 2;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return 0;
}
