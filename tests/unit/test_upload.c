/* The part size of an upload: one size for every part, chosen before the first. */
#include <stdint.h>

#include "tap.h"
#include "upload.h"

#define MiB ((int64_t)1 << 20)
#define GiB ((int64_t)1 << 30)

static void
part_is(size_t given, int64_t expect, int64_t hint, size_t want, const char *what)
{
	struct upload_opts o = { .part_size = given, .expect_size = expect, .size_hint = hint };
	char why[256] = "";
	size_t part = 0;
	int r = upload_part_size(&o, &part, why, sizeof(why));

	ok(r == 0 && part == want, "%s: %zu bytes a part (got %zu%s%s)", what, want, part,
	    *why ? ", " : "", why);
}

static void
part_refused(size_t given, int64_t expect, int64_t hint, const char *want, const char *what)
{
	struct upload_opts o = { .part_size = given, .expect_size = expect, .size_hint = hint };
	char why[256] = "";
	size_t part = 0;
	int r = upload_part_size(&o, &part, why, sizeof(why));

	ok(r == -1 && strstr(why, want), "%s: refused, \"%s\" (got %s)", what, want,
	    r == -1 ? why : "accepted");
}

int
main(void)
{
	part_is(0, -1, -1, 16 * MiB, "nothing said: 16 MiB");
	part_is(5 * MiB, -1, -1, 5 * MiB, "--part-size 5M is taken as given");
	part_is(64 * MiB, 512 * GiB, -1, 64 * MiB, "--part-size with an --expect-size that fits");
	part_is(0, 100 * MiB, -1, 16 * MiB, "a small --expect-size: the default");
	part_is(0, 1000 * GiB, -1, 103 * MiB, "--expect-size 1000 GiB: 10,000 parts of 103 MiB hold it");
	part_is(0, 10000 * 17 * MiB, -1, 17 * MiB, "--expect-size exactly 10,000 parts of 17 MiB");
	part_is(0, 10000 * 17 * MiB + 1, -1, 18 * MiB, "one byte more: 18 MiB parts");
	part_is(0, -1, 500 * GiB, 103 * MiB, "--size-hint 500 GiB: room for twice as much");
	part_is(0, -1, 1, 16 * MiB, "a tiny --size-hint: the default");
	part_is(0, 100 * GiB, 500 * GiB, 16 * MiB,
	    "--expect-size wins over --size-hint");
	part_is(0, 4 * 1024 * GiB, -1, 420 * MiB, "--expect-size 4 TiB: 420 MiB parts");
	part_is(5 * MiB, -1, 900 * GiB, 5 * MiB, "--part-size wins over a --size-hint too large for it");
	part_refused(5 * MiB, 60 * GiB, -1, "more than 10000 parts of 5 MiB (--part-size)",
	    "--expect-size over 10,000 parts of --part-size");
	part_refused(0, 50000 * GiB, -1, "more than 10000 parts of 5000 MiB",
	    "--expect-size over 10,000 of the largest parts");
	part_refused(0, -1, 30000 * GiB, "--size-hint is more than 10000 parts",
	    "--size-hint over 10,000 of the largest parts");
	ok(UPLOAD_PART_MAX < (size_t)(4.995 * (double)GiB), "the largest part is below R2's 4.995 GiB");
	ok(UPLOAD_PART_MIN == 5 * MiB, "the smallest part is S3's 5 MiB");
	return tap_done();
}
