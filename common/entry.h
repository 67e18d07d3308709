/*
 * Backup entries: a time, a size and a name, from listing lines, aws s3 ls
 * and rclone lsl lines, or local paths (entry.c says how each is told).
 */
#ifndef BKPIPE_ENTRY_H
#define BKPIPE_ENTRY_H

#include <stddef.h>
#include <stdint.h>

struct entry {
	int64_t time, size;	/* time within LISTING_TIME_MIN..MAX; size >= 0 */
	char *name;		/* the URL as listed, the name, or the path */
	char *line;		/* for callers that keep the line */
};

/*
 * Read one line (without its newline; parsed in place) into e, which is
 * cleared first. With a name_time_format, the time is taken from the name
 * instead (see entry_name_time). 1: an entry; 0: nothing to take (a blank
 * line, a common prefix); -1: not an entry, and *why says what is wrong.
 */
int entry_parse(char *line, const char *name_time_format, struct entry *e, const char **why);

/*
 * The UTC time in name, at the first place FORMAT matches: %Y (4 digits),
 * %m %d %H %M %S (2 digits), %% and literal characters; the date and time
 * must exist (listing_civil_valid). 0 or -1.
 */
int entry_name_time(const char *format, const char *name, int64_t *t);

/* What is wrong with a --name-time FORMAT, or NULL: it needs %Y, %m and
 * %d, may have %H, %M and %S, each once, and %%; no other %. */
const char *entry_name_time_check(const char *format);

/* name as it can be shown on one line: control bytes and '|' as %XX,
 * cut to fit len. */
void entry_shown(const char *name, char *buf, size_t len);

#endif
