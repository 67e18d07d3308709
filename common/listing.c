#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "listing.h"
#include "units.h"

int
listing_parse(char *line, struct listing *l)
{
	char *t1 = strchr(line, '\t'), *t2, *end;

	if (t1 == NULL || (t2 = strchr(t1 + 1, '\t')) == NULL || strchr(t2 + 1, '\t'))
		return -1;
	*t1 = *t2 = '\0';
	l->url = t2 + 1;
	if (strncmp(l->url, "s3://", 5) != 0)
		goto no;
	if (strcmp(line, "-") == 0 && strcmp(t1 + 1, "-") == 0) {
		l->mtime = 0;
		l->size = -1;
		return 0;
	}
	if (units_parse_time(line, &l->mtime) != 0 || line[strlen(line) - 1] != 'Z')
		goto no;
	if (t1[1] < '0' || t1[1] > '9')
		goto no;
	l->size = strtoll(t1 + 1, &end, 10);
	if (*end != '\0' || l->size < 0)
		goto no;
	return 0;
no:
	*t1 = *t2 = '\t';
	return -1;
}

char *
listing_url(char *line)
{
	char *tab = strrchr(line, '\t');

	return tab ? tab + 1 : line;
}

int
listing_read_urls(FILE *f, bool https, int (*fn)(void *arg, const char *url), void *arg)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned long lineno = 0;
	int status = EXIT_OK;

	while (status == EXIT_OK && (n = getline(&line, &cap, f)) > 0) {
		struct listing l;
		const char *url;

		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (*line == '\0')
			continue;
		if (listing_parse(line, &l) == 0) {
			if (l.size < 0) {
				warn("stdin line %lu: a common prefix, not an object: %s", lineno, l.url);
				status = EXIT_USAGE;
				break;
			}
			url = l.url;
		} else {
			url = listing_url(line);
		}
		if (strncmp(url, "s3://", 5) != 0 && !(https && strncmp(url, "https://", 8) == 0)) {
			warn("stdin line %lu: expected an s3:// URL or a listing line", lineno);
			status = EXIT_USAGE;
			break;
		}
		status = fn(arg, url);
	}
	free(line);
	return status;
}

int
listing_decode(char *s)
{
	char *o = s;

	for (char *p = s; *p; p++) {
		if (*p == '%') {
			int hi, lo;

			if (!isxdigit((unsigned char)p[1]) || !isxdigit((unsigned char)p[2]))
				return -1;
			hi = isdigit((unsigned char)p[1]) ? p[1] - '0' : tolower((unsigned char)p[1]) - 'a' + 10;
			lo = isdigit((unsigned char)p[2]) ? p[2] - '0' : tolower((unsigned char)p[2]) - 'a' + 10;
			*o++ = (char)(hi << 4 | lo);
			p += 2;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return 0;
}
