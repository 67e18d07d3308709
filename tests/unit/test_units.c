/* Sizes and durations as users type them. */
#include <stdint.h>

#include "tap.h"
#include "units.h"

static void
size_ok(const char *s, uint64_t want)
{
	uint64_t got = 0;
	const char *why = NULL;
	int r = units_parse_size(s, &got, &why);

	ok(r == 0 && got == want, "size \"%s\" is %llu (got %llu%s%s)", s,
	    (unsigned long long)want, (unsigned long long)got, why ? ", " : "", why ? why : "");
}

static void
size_bad(const char *s, const char *want_why)
{
	uint64_t got = 0;
	const char *why = NULL;
	int r = units_parse_size(s, &got, &why);

	ok(r == -1 && why && strstr(why, want_why), "size \"%s\" is refused: %s (got %s)",
	    s, want_why, why ? why : "accepted");
}

static void
dur_ok(const char *s, int64_t want)
{
	int64_t got = -1;
	const char *why = NULL;
	int r = units_parse_duration(s, &got, &why);

	ok(r == 0 && got == want, "duration \"%s\" is %lld s (got %lld%s%s)", s,
	    (long long)want, (long long)got, why ? ", " : "", why ? why : "");
}

static void
dur_bad(const char *s, const char *want_why)
{
	int64_t got = 0;
	const char *why = NULL;
	int r = units_parse_duration(s, &got, &why);

	ok(r == -1 && why && strstr(why, want_why), "duration \"%s\" is refused: %s (got %s)",
	    s, want_why, why ? why : "accepted");
}

int
main(void)
{
	char buf[64];

	size_ok("0", 0);
	size_ok("4096", 4096);
	size_ok("4096B", 4096);
	size_ok("64K", 65536);
	size_ok("64KiB", 65536);
	size_ok("1kB", 1000);
	size_ok("8M", 8 << 20);
	size_ok("8MiB", 8 << 20);
	size_ok("100MB", 100000000);
	size_ok("1.5GiB", 1610612736ULL);
	size_ok("1.5G", 1610612736ULL);
	size_ok("0.5K", 512);
	size_ok("2TB", 2000000000000ULL);
	size_ok("5TiB", 5ULL << 40);
	size_ok("16777215T", 16777215ULL << 40);
	size_bad("", "expected a number");
	size_bad("K", "expected a number");
	size_bad("-1K", "expected a number");
	size_bad("1.K", "digits after the decimal point");
	size_bad("10X", "unknown unit");
	size_bad("10 K", "unknown unit");
	size_bad("10k", "unknown unit");
	size_bad("1.5", "cannot have a fraction");
	size_bad("16777216T", "too large");
	size_bad("99999999999999999999", "too large");

	dur_ok("0", 0);
	dur_ok("45", 45);
	dur_ok("45s", 45);
	dur_ok("90m", 5400);
	dur_ok("26h", 93600);
	dur_ok("7d", 604800);
	dur_ok("2w", 1209600);
	dur_ok("1h30m", 5400);
	dur_ok("1d2h3m4s", 93784);
	dur_bad("", "expected a duration");
	dur_bad("h", "expected a duration");
	dur_bad("26x", "unknown unit");
	dur_bad("30m1h", "largest to smallest");
	dur_bad("1h1h", "largest to smallest");
	dur_bad("1h30", "unknown unit");
	dur_bad("1.5h", "unknown unit");
	dur_bad("-5m", "expected a duration");
	dur_bad("99999999999999999999w", "too long");
	dur_bad("9999999999999999w", "too long");

	units_fmt_size(buf, sizeof(buf), 0);
	is_str(buf, "0 B", "0 bytes print as 0 B");
	units_fmt_size(buf, sizeof(buf), 1023);
	is_str(buf, "1023 B", "1023 bytes print as bytes");
	units_fmt_size(buf, sizeof(buf), 1536);
	is_str(buf, "1.50 KiB", "1536 bytes print as 1.50 KiB");
	units_fmt_size(buf, sizeof(buf), 52428800);
	is_str(buf, "50.0 MiB", "50 MiB prints with one decimal");
	units_fmt_size(buf, sizeof(buf), 759ULL << 20);
	is_str(buf, "759 MiB", "759 MiB prints without decimals");
	units_fmt_duration(buf, sizeof(buf), 45);
	is_str(buf, "45s", "45 seconds");
	units_fmt_duration(buf, sizeof(buf), 65);
	is_str(buf, "1m05s", "65 seconds");
	units_fmt_duration(buf, sizeof(buf), 7380);
	is_str(buf, "2h03m", "7380 seconds");
	units_fmt_duration(buf, sizeof(buf), 273600);
	is_str(buf, "3d04h", "3 days 4 hours");
	{
		int64_t t;

		ok(units_parse_time("2026-01-26T03:00:15Z", &t) == 0 && t == 1769396415,
		    "a UTC time with Z");
		ok(units_parse_time("2026-01-26T03:00:15.123Z", &t) == 0 && t == 1769396415,
		    "with fractional seconds");
		ok(units_parse_time("2026-01-26", &t) == 0 && t == 1769385600, "a date is its midnight");
		ok(units_parse_time("2026-01-26 03:00", &t) == 0 && t == 1769396400,
		    "a space and no seconds");
		ok(units_parse_time("1970-01-01T00:00:00Z", &t) == 0 && t == 0, "the epoch");
		ok(units_parse_time("2024-02-29T12:00:00Z", &t) == 0 && t == 1709208000, "a leap day");
		ok(units_parse_time("2026-13-01", &t) == -1, "month 13 is refused");
		ok(units_parse_time("2026-01-26T25:00", &t) == -1, "hour 25 is refused");
		ok(units_parse_time("2026-01-26T03:00:15+01:00", &t) == -1, "offsets are refused");
		ok(units_parse_time("26h", &t) == -1, "a duration is not a time");
		ok(units_parse_http_date("Mon, 26 Jan 2026 03:00:15 GMT", &t) == 0 && t == 1769396415,
		    "an HTTP date");
		ok(units_parse_http_date("Mon, 26 Foo 2026 03:00:15 GMT", &t) == -1,
		    "a bad month is refused");
		units_fmt_time(buf, sizeof(buf), 1769396415);
		is_str(buf, "2026-01-26T03:00:15Z", "format a time");
		units_fmt_time(buf, sizeof(buf), 951782400);
		is_str(buf, "2000-02-29T00:00:00Z", "format a leap day");
	}
	return tap_done();
}
