/*
 * Retention: which backups to delete. Rules say what to keep: the newest
 * N, or the newest backup of each of the last N days, weeks (from Monday)
 * or months, in UTC (a grandfather-father-son set). Backups are added in
 * any order; one that no rule keeps, now or any more, is handed to emit
 * when it is older than the cutoff. Memory is the number of backups kept,
 * however many are added. What the rules still keep at the end is never
 * emitted.
 */
#ifndef BKPIPE_RETAIN_H
#define BKPIPE_RETAIN_H

#include <stddef.h>
#include <stdint.h>

enum retain_kind { RETAIN_NEWEST, RETAIN_DAYS, RETAIN_WEEKS, RETAIN_MONTHS };

struct retain_rule {
	enum retain_kind kind;
	unsigned long n;	/* at least 1 */
};

struct retain;

struct retain *retain_new(const struct retain_rule *rules, size_t n, int64_t cutoff,
    void (*emit)(void *arg, const char *line), void *arg);

/* Add a backup of time t, described by line. 0, or -1 when out of memory. */
int retain_add(struct retain *r, int64_t t, const char *line);

void retain_free(struct retain *r);

#endif
