/* Retention: what is kept, whatever the order backups come in. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "retain.h"
#include "tap.h"

#define DAY 86400
#define NOW 1769414400		/* 2026-01-26T08:00:00Z, a Monday */

static char emitted[200][16];
static int nemitted;

static void
emit(void *arg, const char *line)
{
	(void)arg;
	snprintf(emitted[nemitted++], sizeof(emitted[0]), "%s", line);
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Add n daily backups (day i at NOW - i days - 5h), in the given order. */
static void
run(const struct retain_rule *rules, size_t nrules, int n, const int *order, int64_t maxage)
{
	struct retain *r = retain_new(rules, nrules, NOW - maxage, emit, NULL);
	char line[16];

	nemitted = 0;
	for (int k = 0; k < n; k++) {
		int i = order ? order[k] : k;

		snprintf(line, sizeof(line), "%03d", i);
		retain_add(r, NOW - (int64_t)i * DAY - 5 * 3600, line);
	}
	retain_free(r);
	qsort(emitted, (size_t)nemitted, sizeof(emitted[0]), cmp);
}

int
main(void)
{
	struct retain_rule keep7 = { RETAIN_NEWEST, 7 }, keep40 = { RETAIN_NEWEST, 40 };
	struct retain_rule gfs[] = { { RETAIN_NEWEST, 1 }, { RETAIN_DAYS, 3 },
	    { RETAIN_WEEKS, 2 }, { RETAIN_MONTHS, 2 } };
	int order[60], sorted_n;
	char sorted[200][16];

	for (int i = 0; i < 60; i++)
		order[i] = (i * 37) % 60;	/* a fixed shuffle */

	run(&keep7, 1, 30, NULL, 0);
	is_int(nemitted, 23, "30 backups, keep 7, everything old: 23 selected");
	is_str(emitted[0], "007", "the newest 7 (000-006) are kept");
	run(&keep7, 1, 30, NULL, 10 * DAY);
	is_int(nemitted, 20, "older than 10 days, keep 7: the 20 from day 10 on");
	is_str(emitted[0], "010", "starting at day 10");
	run(&keep40, 1, 30, NULL, 0);
	is_int(nemitted, 0, "keep 40 of 30: nothing selected");
	run(&keep7, 1, 1, NULL, 0);
	is_int(nemitted, 0, "a single backup is never selected");

	run(gfs, 4, 60, NULL, 7 * DAY);
	sorted_n = nemitted;
	memcpy(sorted, emitted, sizeof(sorted));
	is_int(nemitted, 52, "GFS 3 days, 2 weeks, 2 months of 60 daily, older than 7d: 52 selected");
	ok(strcmp(emitted[0], "007") == 0 && strcmp(emitted[18], "025") == 0 &&
	    strcmp(emitted[19], "027") == 0,
	    "kept: the first 7 days (too new), and day 26, the newest of December");
	run(gfs, 4, 60, order, 7 * DAY);
	ok(nemitted == sorted_n && memcmp(emitted, sorted, sizeof(sorted)) == 0,
	    "the same set when the backups come shuffled");

	{
		struct retain_rule days = { RETAIN_DAYS, 2 };
		struct retain *r = retain_new(&days, 1, NOW, emit, NULL);

		nemitted = 0;
		retain_add(r, NOW - 3600, "today-1h");
		retain_add(r, NOW - 7200, "today-2h");
		retain_add(r, NOW - DAY, "yesterday");
		retain_add(r, NOW - 2 * DAY, "two days");
		retain_free(r);
		qsort(emitted, (size_t)nemitted, sizeof(emitted[0]), cmp);
		ok(nemitted == 2 && strcmp(emitted[0], "today-2h") == 0 &&
		    strcmp(emitted[1], "two days") == 0,
		    "keep-daily 2: the newest of today and of yesterday");
	}
	return tap_done();
}
