/* Retention: what is kept, whatever the order backups come in. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "retain.h"
#include "tap.h"

#define DAY 86400
#define NOW 1769414400		/* 2026-01-26T08:00:00Z, a Monday */
#define FAR INT64_MAX		/* no backup is in the future */

static char emitted[200][64];
static int nemitted;

static int
cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* retain_print() into emitted[], sorted; its status. */
static int
collect(struct retain *r, const char **twice)
{
	char line[64];
	FILE *f = tmpfile();
	int st;

	nemitted = 0;
	if (f == NULL)
		return -3;
	st = retain_print(r, f, twice);
	rewind(f);
	while (nemitted < 200 && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		snprintf(emitted[nemitted++], sizeof(emitted[0]), "%s", line);
	}
	fclose(f);
	qsort(emitted, (size_t)nemitted, sizeof(emitted[0]), cmp);
	return st;
}

/* Add n daily backups (day i at NOW - i days - 5h), in the given order. */
static void
run(const struct retain_rule *rules, size_t nrules, int n, const int *order, int64_t maxage)
{
	struct retain *r = retain_new(rules, nrules, NOW - maxage, FAR);
	const char *twice = NULL;
	char line[16];

	for (int k = 0; k < n; k++) {
		int i = order ? order[k] : k;

		snprintf(line, sizeof(line), "%03d", i);
		retain_add(r, 0, NOW - (int64_t)i * DAY - 5 * 3600, line, line);
	}
	collect(r, &twice);
	retain_free(r);
}

/* Whether name is among the lines emitted. */
static int
emitted_has(const char *name)
{
	for (int i = 0; i < nemitted; i++)
		if (strcmp(emitted[i], name) == 0)
			return 1;
	return 0;
}

int
main(void)
{
	struct retain_rule keep7 = { RETAIN_NEWEST, 7 }, keep40 = { RETAIN_NEWEST, 40 };
	struct retain_rule gfs[] = { { RETAIN_NEWEST, 1 }, { RETAIN_DAYS, 3 },
	    { RETAIN_WEEKS, 2 }, { RETAIN_MONTHS, 2 } };
	int order[60], sorted_n;
	char sorted[200][64];
	const char *twice;

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
		struct retain *r = retain_new(&days, 1, NOW, FAR);

		retain_add(r, 0, NOW - 3600, "today-1h", "today-1h");
		retain_add(r, 0, NOW - 7200, "today-2h", "today-2h");
		retain_add(r, 0, NOW - DAY, "yesterday", "yesterday");
		retain_add(r, 0, NOW - 2 * DAY, "two days", "two days");
		collect(r, &twice);
		retain_free(r);
		ok(nemitted == 2 && strcmp(emitted[0], "today-2h") == 0 &&
		    strcmp(emitted[1], "two days") == 0,
		    "keep-daily 2: the newest of today and of yesterday");
	}
	{
		/* Rules that would keep nothing of today still keep the newest. */
		struct retain_rule months = { RETAIN_MONTHS, 1 };
		struct retain *r = retain_new(&months, 1, NOW, FAR);

		retain_add(r, 0, NOW - 40 * DAY, "old", "old");
		retain_add(r, 0, NOW - 3600, "new", "new");
		collect(r, &twice);
		retain_free(r);
		ok(nemitted == 1 && strcmp(emitted[0], "old") == 0, "the newest is kept whatever the rules");
	}
	{
		/* Two backups of one time: the same one is kept in either order. */
		const char *names[2][2] = { { "a", "b" }, { "b", "a" } };

		for (int k = 0; k < 2; k++) {
			struct retain *r = retain_new(&keep7, 0, FAR, FAR);

			retain_add(r, 0, NOW - DAY, names[k][0], names[k][0]);
			retain_add(r, 0, NOW - DAY, names[k][1], names[k][1]);
			collect(r, &twice);
			retain_free(r);
			ok(nemitted == 1 && strcmp(emitted[0], "a") == 0,
			    "a tie of times, %s first: the last by name (b) is kept", names[k][0]);
		}
	}
	{
		/* One name listed twice: never printed, since one copy is kept. */
		struct retain *r = retain_new(&keep7, 0, FAR, FAR);
		int st;

		retain_add(r, 0, NOW - DAY, "s3://b/x", "line 1");
		retain_add(r, 0, NOW - DAY, "s3://b/x", "line 2");
		twice = NULL;
		st = collect(r, &twice);
		ok(st == -1 && nemitted == 0 && twice && strcmp(twice, "s3://b/x") == 0,
		    "a name both kept and selected: -1, that name, nothing written");
		retain_free(r);
	}
	{
		/* A backup in the future takes no place among those kept. */
		struct retain_rule keep1 = { RETAIN_NEWEST, 1 };
		struct retain *r = retain_new(&keep1, 1, FAR, NOW + 300);

		is_int(retain_add(r, 0, NOW + 301, "future", "future"), RETAIN_FUTURE,
		    "a backup after latest is RETAIN_FUTURE");
		is_int(retain_add(r, 0, NOW + 300, "skew", "skew"), 0, "one at latest is taken");
		retain_add(r, 0, NOW - DAY, "real", "real");
		collect(r, &twice);
		retain_free(r);
		ok(nemitted == 1 && strcmp(emitted[0], "real") == 0 && !emitted_has("future"),
		    "the future one is neither kept nor printed; the newest before latest is kept");
	}
	{
		/* Groups keep their own. */
		struct retain_rule keep1 = { RETAIN_NEWEST, 1 };
		struct retain *r = retain_new(&keep1, 1, FAR, FAR);

		retain_add(r, 0, NOW - 2 * DAY, "g0-old", "g0-old");
		retain_add(r, 1, NOW - 3 * DAY, "g1-only", "g1-only");
		retain_add(r, 0, NOW - DAY, "g0-new", "g0-new");
		collect(r, &twice);
		retain_free(r);
		ok(nemitted == 1 && strcmp(emitted[0], "g0-old") == 0,
		    "the newest of each group is kept, the older of a group is not");
	}
	{
		struct retain_rule zero = { RETAIN_NEWEST, 0 };

		ok(retain_new(&zero, 1, 0, FAR) == NULL, "a rule of 0 is refused");
	}
	{
		/* Shuffles of random times, ties included: never the newest. */
		unsigned seed = 1;

		for (int round = 0; round < 200; round++) {
			struct retain_rule rs[] = { { RETAIN_NEWEST, 1 + round % 3 }, { RETAIN_DAYS, 1 + round % 2 } };
			struct retain *r = retain_new(rs, 1 + (size_t)(round % 2), FAR, FAR);
			int64_t best = INT64_MIN;
			char bestname[16] = "", name[16];
			int n = 1 + round % 40;

			for (int i = 0; i < n; i++) {
				int64_t t;

				seed = seed * 1103515245 + 12345;
				t = NOW - (int64_t)((seed >> 16) % 5) * DAY;
				snprintf(name, sizeof(name), "n%02d", i);
				if (t > best || (t == best && strcmp(name, bestname) > 0)) {
					best = t;
					snprintf(bestname, sizeof(bestname), "%s", name);
				}
				retain_add(r, 0, t, name, name);
			}
			collect(r, &twice);
			retain_free(r);
			if (emitted_has(bestname) || nemitted >= n) {
				ok(0, "round %d: the newest %s was selected", round, bestname);
				break;
			}
		}
		ok(1, "200 random sets: the newest is never selected");
	}
	{
		/* Not proven: never kept; damaged, selected once old; unproven,
		 * only when older than the newest proven of its group. */
		struct retain_rule keep1 = { RETAIN_NEWEST, 1 };
		struct retain *r = retain_new(&keep1, 1, NOW - DAY, FAR);

		retain_add(r, 0, NOW - 5 * DAY, "proven-old", "proven-old");
		retain_add(r, 0, NOW - 3 * DAY, "proven-new", "proven-new");
		retain_add_unproven(r, 0, NOW - 4 * DAY, "unproven-older", "unproven-older", false);
		retain_add_unproven(r, 0, NOW - 2 * DAY, "unproven-newer", "unproven-newer", false);
		retain_add_unproven(r, 0, NOW - 2 * DAY, "damaged-newer", "damaged-newer", true);
		retain_add_unproven(r, 0, NOW - 3600, "damaged-young", "damaged-young", true);
		retain_add_unproven(r, 1, NOW - 9 * DAY, "unproven-alone", "unproven-alone", false);
		collect(r, &twice);
		retain_free(r);
		ok(nemitted == 3 && emitted_has("proven-old") && emitted_has("unproven-older") &&
		    emitted_has("damaged-newer"),
		    "selected: the older proven, the unproven older than the newest proven, the old damaged");
		ok(!emitted_has("proven-new") && !emitted_has("unproven-newer") &&
		    !emitted_has("damaged-young") && !emitted_has("unproven-alone"),
		    "never: the newest proven, an unproven newer than it, one younger than the cutoff, "
		    "an unproven of a group with no proven backup");
	}
	{
		/* Ties: an unproven backup of the newest proven's time is newer
		 * when its name comes later, older when it comes first. */
		struct retain_rule keep1 = { RETAIN_NEWEST, 1 };
		struct retain *r = retain_new(&keep1, 1, FAR, FAR);

		retain_add(r, 0, NOW - DAY, "m", "m");
		retain_add_unproven(r, 0, NOW - DAY, "a", "a", false);
		retain_add_unproven(r, 0, NOW - DAY, "z", "z", false);
		collect(r, &twice);
		retain_free(r);
		ok(nemitted == 1 && emitted_has("a"), "a tie of times goes by name, as for the newest");
	}
	{
		/* Nothing proven at all: the damaged go, the unproven stay. */
		struct retain_rule keep1 = { RETAIN_NEWEST, 1 };
		struct retain *r = retain_new(&keep1, 1, FAR, FAR);

		retain_add_unproven(r, 0, NOW - DAY, "damaged", "damaged", true);
		retain_add_unproven(r, 0, NOW - 2 * DAY, "unproven", "unproven", false);
		is_int(collect(r, &twice), 0, "nothing kept: printed all the same");
		retain_free(r);
		ok(nemitted == 1 && emitted_has("damaged"), "no proven backup: the damaged one only");
	}
	return tap_done();
}
