/*
 * Backup entries: a time, a size and a name, from listing lines, aws s3 ls
 * and rclone lsl lines, or local paths (entry.c says how each is told).
 */
#ifndef BKPIPE_ENTRY_H
#define BKPIPE_ENTRY_H

#include <stdint.h>

struct entry {
	int64_t time, size;
	char *name;		/* the URL as listed, the name, or the path */
	char *line;		/* for callers that keep the line */
};

/*
 * Read one line (without its newline; parsed in place) into e. With a
 * name_time_format, the time is taken from the name instead (see
 * entry_name_time). 1: an entry; 0: nothing to take (a blank line, a
 * common prefix); -1: not an entry.
 */
int entry_parse(char *line, const char *name_time_format, struct entry *e);

/*
 * The UTC time in name, found where FORMAT matches: %Y (4 digits), %m %d
 * %H %M %S (2 digits), %% and literal characters. 0 or -1.
 */
int entry_name_time(const char *format, const char *name, int64_t *t);

#endif
