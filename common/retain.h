/*
 * Retention: which backups to delete. Rules say what to keep: the newest
 * N, or the newest backup of each of the last N days, weeks (from Monday)
 * or months, in UTC (a grandfather-father-son set). Backups are added in
 * any order, each in a group that keeps its own; "newest" orders by time,
 * and backups of the same time by name, so the same input in any order
 * keeps the same set.
 *
 * A backup that no rule keeps, now or any more, is selected when it is
 * older than the cutoff. Nothing is printed until the last backup is
 * added (a bad line later in the input stops the run with nothing
 * selected): what is selected waits in a temporary file, so memory is the
 * number of backups kept, however many are added. The newest backup of a
 * group is always kept, whatever the rules, and a name that is kept is
 * never printed.
 */
#ifndef BKPIPE_RETAIN_H
#define BKPIPE_RETAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum retain_kind { RETAIN_NEWEST, RETAIN_DAYS, RETAIN_WEEKS, RETAIN_MONTHS };

struct retain_rule {
	enum retain_kind kind;
	unsigned long n;	/* at least 1 */
};

enum { RETAIN_FUTURE = 1 };	/* retain_add(): after latest, not taken */

struct retain;

/*
 * Rules (n of them, each n at least 1; a rule to keep the newest one is
 * added when none keeps it), the cutoff (older is selected), and the
 * latest time a backup may have (later is in the future). NULL when out
 * of memory, or for a rule of n 0 (EINVAL).
 */
struct retain *retain_new(const struct retain_rule *rules, size_t n, int64_t cutoff,
    int64_t latest);

/*
 * Add a backup to group g (0, 1, ...): its time, its name (what it is;
 * two lines of one name are one backup) and the line to print if it is
 * selected. 0; RETAIN_FUTURE when t is after latest (nothing is taken: it
 * is neither kept nor selected); -1 on an error (errno).
 */
int retain_add(struct retain *r, size_t g, int64_t t, const char *name, const char *line);

/*
 * Add a backup that is not proven (proofs.h) to group g: never kept, and
 * never counted by a rule. Older than the cutoff, a damaged one is
 * selected; an unproven one only when the group keeps a backup newer than
 * it (one newer than the newest proven may be in progress). The return
 * values are retain_add()'s.
 */
int retain_add_unproven(struct retain *r, size_t g, int64_t t, const char *name,
    const char *line, bool damaged);

/*
 * After the last retain_add(): write the lines selected to out, in the
 * order they were selected. 0; -1 with *twice set to a name (valid until
 * retain_free) that is both kept and selected, so listed twice, and
 * nothing written; -2 on an error (errno).
 */
int retain_print(struct retain *r, FILE *out, const char **twice);

void retain_free(struct retain *r);

#endif
