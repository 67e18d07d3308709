#!/usr/bin/env bats
# bkage: the health of the newest backup (every status, every input format,
# time zones, groups, the output formats and their grammars, atomic -o), the
# retention selector (--expired/--keep), flat memory, options, and the alert
# rule of bkage(1).
#
# Every check pins --now, so the ages are exact and the results do not
# depend on the clock.
#
# SC2030/SC2031: shellcheck takes each @test for a subshell, and so run's
# $output for lost. SC2154: run --separate-stderr sets $stderr.
# shellcheck disable=SC2030,SC2031,SC2154

load lib/common

NOW=2026-01-26T06:12:15Z	# 3h12m after the backups of 2026-01-26T03:00:15Z
MAN=$TESTS_DIR/../man/bkage.1.scd

setup_file() {
	# 1,000,000 listing lines, one a second from 2026-01-14T00:00:00Z,
	# in key order (as s3ls prints them); and the last 10,000 of them.
	awk 'BEGIN {
		for (i = 0; i < 1000000; i++)
			printf "2026-01-%02dT%02d:%02d:%02dZ\t%d\ts3://bkpipe-test/db/%07d.sql.gz\n",
			    14 + int(i / 86400), int(i % 86400 / 3600), int(i % 3600 / 60), i % 60,
			    1048576 + i % 1000, i
	}' >"$BATS_FILE_TMPDIR/1m"
	tail -n 10000 "$BATS_FILE_TMPDIR/1m" >"$BATS_FILE_TMPDIR/10k"
}

setup() {
	T=$BATS_TEST_TMPDIR
	IN=$T/in
}

# need_tz ZONE...: the zones are installed (glibc would take a missing one
# for UTC, silently).
need_tz() {
	local z
	for z; do
		[ -e "/usr/share/zoneinfo/$z" ] || fail "time zone $z is missing: install tzdata"
	done
}

# line TIME SIZE URL: one s3ls listing line.
line() {
	printf '%s\t%s\t%s\n' "$@"
}

# daily N [PREFIX]: N daily backups at 03:00:00Z, the newest on 2026-01-26,
# oldest first, as listing lines with names holding their date.
daily() (
	export TZ=UTC
	local n=$1 prefix=${2:-s3://b/db} i t
	for ((i = n - 1; i >= 0; i--)); do
		t=$((1769396400 - i * 86400))
		printf '%(%Y-%m-%dT%H:%M:%SZ)T\t%d\t%s/%(%Y-%m-%d)T_03-00-00.sql.gz\n' \
			"$t" $((52428800 + i)) "$prefix" "$t"
	done
)

# perfdata_ok TEXT: every term after the first | follows the grammar of the
# Nagios plugin guidelines, 'label'=value[UOM];[warn];[crit];[min];[max]:
# a label quoted when it has a space (a quote inside doubled), no = in it;
# a number and a unit of s ms us % B KB MB GB TB c; warn and crit ranges
# ([@]start:end, ~ for minus infinity, start: for plus); trailing empty
# fields may go.
perfdata_ok() {
	local text=$1 perf n=0
	local num='-?[0-9]+(\.[0-9]+)?'
	local label="([^' =]+|'([^'=]|'')+')"
	local uom='(s|ms|us|%|B|KB|MB|GB|TB|c)?'
	local range="@?((~|$num):($num)?|$num)"
	local term="$label=$num$uom(;($range)?(;($range)?(;($num)?(;($num)?)?)?)?)?"

	[[ $text == *'|'* ]] || fail "no perfdata in: $text"
	perf=${text#*|}
	perf=${perf# }
	[[ -n $perf ]] || fail "empty perfdata in: $text"
	while [[ -n $perf ]]; do
		[[ $perf =~ ^($term)(\ +|$) ]] ||
			fail "perfdata term does not follow the plugin guidelines: '${perf%% *}' in: $text"
		perf=${perf:${#BASH_REMATCH[0]}}
		n=$((n + 1))
	done
	[ "$n" -gt 0 ]
}

# The alert rules of bkage(1), between its marker comments, as a YAML file.
man_rules() {
	sed -n '/^; BEGIN prometheus-rules/,/^; END prometheus-rules/p' "$MAN" |
		grep -v -e '^; ' -e '^```'
}

# -- every status -------------------------------------------------------------

@test "OK: the newest is younger than --critical; the summary and perfdata" {
	{
		line 2026-01-25T03:00:15Z 52000000 s3://b/db/2026-01-25.sql.gz
		line 2026-01-26T03:00:15Z 52428800 s3://b/db/2026-01-26.sql.gz
		line 2026-01-24T03:00:15Z 51000000 s3://b/db/2026-01-24.sql.gz
	} >"$IN"
	run -0 --separate-stderr bkage --now "$NOW" <"$IN"
	assert_output 'BKAGE OK - newest s3://b/db/2026-01-26.sql.gz is 3h12m old, 52.4 MB, 3 backups | age=11520s;;93600 size=52428800B count=3'
	assert_equal "$stderr" ""
}

@test "OK: one backup, the example of the issue" {
	line 2026-01-26T03:00:15Z 52428800 s3://b/db/x.sql.gz >"$IN"
	run -0 --separate-stderr bkage --now "$NOW" "$IN"
	assert_output 'BKAGE OK - newest s3://b/db/x.sql.gz is 3h12m old, 52.4 MB, 1 backup | age=11520s;;93600 size=52428800B count=1'
}

@test "WARNING: older than -w; the warning threshold is in the perfdata" {
	line 2026-01-26T03:00:15Z 52428800 s3://b/db/x.sql.gz >"$IN"
	run -1 --separate-stderr bkage --now "$NOW" -w 3h <"$IN"
	assert_output 'BKAGE WARNING - newest s3://b/db/x.sql.gz is 3h12m old, 52.4 MB, 1 backup, older than 3h | age=11520s;10800;93600 size=52428800B count=1'
	run -0 --separate-stderr bkage --now "$NOW" --warning 4h <"$IN"
	assert_output --partial 'BKAGE OK - '
	assert_output --partial 'age=11520s;14400;93600 '
}

@test "CRITICAL: older than -c, and older than the default 26h" {
	line 2026-01-26T03:00:15Z 52428800 s3://b/db/x.sql.gz >"$IN"
	run -2 --separate-stderr bkage --now "$NOW" -w 1h -c 3h <"$IN"
	assert_output 'BKAGE CRITICAL - newest s3://b/db/x.sql.gz is 3h12m old, 52.4 MB, 1 backup, older than 3h | age=11520s;3600;10800 size=52428800B count=1'
	run -2 --separate-stderr bkage --now 2026-01-27T05:00:16Z <"$IN"
	assert_output --regexp '^BKAGE CRITICAL - newest s3://b/db/x\.sql\.gz is 1d02h old, .*, older than 26h \| age=93601s;;93600 '
	# exactly 26h is still OK
	run -0 --separate-stderr bkage --now 2026-01-27T05:00:15Z <"$IN"
}

@test "CRITICAL: no backups found on empty input, never OK" {
	run -2 --separate-stderr bkage --now "$NOW" </dev/null
	assert_output 'BKAGE CRITICAL - no backups found | count=0'
	assert_equal "$stderr" ""
	: >"$IN"
	run -2 --separate-stderr bkage --now "$NOW" -c 100w "$IN"
	assert_output 'BKAGE CRITICAL - no backups found | count=0'
}

@test "CRITICAL: no backups found when the input holds only prefixes and blank lines" {
	{
		printf -- '-\t-\ts3://b/db/2025/\n'
		printf '\n'
		printf '                           PRE db/\n'
	} >"$IN"
	run -2 --separate-stderr bkage --now "$NOW" <"$IN"
	assert_output 'BKAGE CRITICAL - no backups found | count=0'
}

@test "CRITICAL: the newest is smaller than --min-size (1K by default)" {
	{
		line 2026-01-25T03:00:15Z 52428800 s3://b/db/a.sql.gz
		line 2026-01-26T03:00:15Z 1023 s3://b/db/b.sql.gz
	} >"$IN"
	run -2 --separate-stderr bkage --now "$NOW" <"$IN"
	assert_output 'BKAGE CRITICAL - newest s3://b/db/b.sql.gz is 3h12m old, 1.0 kB, 2 backups, smaller than 1024 bytes (1.0 kB) | age=11520s;;93600 size=1023B count=2'
	line 2026-01-26T03:00:15Z 1024 s3://b/db/b.sql.gz >"$IN"
	run -0 --separate-stderr bkage --now "$NOW" <"$IN"
	line 2026-01-26T03:00:15Z 52428800 s3://b/db/b.sql.gz >"$IN"
	run -2 --separate-stderr bkage --now "$NOW" --min-size 100MB <"$IN"
	assert_output --partial ', smaller than 100000000 bytes (100.0 MB) |'
	run -0 --separate-stderr bkage --now "$NOW" --min-size 50MiB <"$IN"
}

@test "WARNING: the newest shrank by more than --max-shrink" {
	{
		line 2026-01-25T03:00:15Z 52428800 s3://b/db/a.sql.gz
		line 2026-01-26T03:00:15Z 26214400 s3://b/db/b.sql.gz
	} >"$IN"
	run -1 --separate-stderr bkage --now "$NOW" --max-shrink 20 <"$IN"
	assert_output 'BKAGE WARNING - newest s3://b/db/b.sql.gz is 3h12m old, 26.2 MB, 2 backups, 50% smaller than the one before | age=11520s;;93600 size=26214400B count=2'
	run -1 --separate-stderr bkage --now "$NOW" --max-shrink 49% <"$IN"
	run -0 --separate-stderr bkage --now "$NOW" --max-shrink 51 <"$IN"
	# without --max-shrink, no check
	run -0 --separate-stderr bkage --now "$NOW" <"$IN"
	# the one before is the second newest, whatever the order of the input
	{
		line 2026-01-26T03:00:15Z 26214400 s3://b/db/b.sql.gz
		line 2026-01-20T03:00:15Z 99999999 s3://b/db/old.sql.gz
		line 2026-01-25T03:00:15Z 27000000 s3://b/db/a.sql.gz
	} >"$IN"
	run -0 --separate-stderr bkage --now "$NOW" --max-shrink 20 <"$IN"
}

@test "WARNING: fewer backups than --min-count" {
	daily 3 >"$IN"
	run -1 --separate-stderr bkage --now 2026-01-26T06:00:00Z --min-count 7 <"$IN"
	assert_output 'BKAGE WARNING - newest s3://b/db/2026-01-26_03-00-00.sql.gz is 3h00m old, 52.4 MB, 3 backups, fewer than 7 backups | age=10800s;;93600 size=52428800B count=3'
	run -0 --separate-stderr bkage --now 2026-01-26T06:00:00Z --min-count 3 <"$IN"
}

@test "a time in the future beyond --max-skew (5m) is never the newest: alone it is no backup (CRITICAL); within it OK" {
	line 2026-01-26T06:22:15Z 52428800 s3://b/db/x.sql.gz >"$IN"
	run -2 --separate-stderr bkage --now "$NOW" <"$IN"
	assert_output 'BKAGE CRITICAL - no backups found, 1 in the future beyond the 5m of clock skew allowed (s3://b/db/x.sql.gz is 10m00s in the future) | count=0'
	run -0 --separate-stderr bkage --now "$NOW" --max-skew 15m <"$IN"
	assert_output --partial 'BKAGE OK - newest s3://b/db/x.sql.gz is 10m00s in the future'
	line 2026-01-26T06:16:15Z 52428800 s3://b/db/x.sql.gz >"$IN"
	run -0 --separate-stderr bkage --now "$NOW" <"$IN"
}

@test "a future-dated backup does not hide a stale one: the newest is the stale one, CRITICAL" {
	{
		line 2026-01-20T03:00:15Z 52428800 s3://b/db/2026-01-20.sql.gz
		line 2099-12-31T00:00:00Z 52428800 s3://b/db/2099-12-31.sql.gz
	} >"$IN"
	run -2 --separate-stderr bkage --now "$NOW" <"$IN"
	assert_output --regexp '^BKAGE CRITICAL - newest s3://b/db/2026-01-20\.sql\.gz is 6d03h old, .*older than 26h, 1 in the future beyond the 5m of clock skew allowed \(s3://b/db/2099-12-31\.sql\.gz is .* in the future\) \| age=529920s;;93600 '
	# beside a fresh backup it is a WARNING, and still not the newest
	line 2026-01-26T03:00:15Z 52428800 s3://b/db/2026-01-26.sql.gz >>"$IN"
	run -1 --separate-stderr bkage --now "$NOW" <"$IN"
	assert_output --partial 'BKAGE WARNING - newest s3://b/db/2026-01-26.sql.gz is 3h12m old'
	run -1 --separate-stderr bkage --now "$NOW" --format json <"$IN"
	run -0 python3 -c '
import json, sys
[g] = json.load(sys.stdin)["groups"]
print(g["newest"]["name"], g["future"], g["ahead"]["name"])' <<<"$output"
	assert_output 's3://b/db/2026-01-26.sql.gz 1 s3://b/db/2099-12-31.sql.gz'
	# --name-time on a mistyped date: the same
	{
		line 2026-01-26T03:00:15Z 52428800 s3://b/db/db_2026-01-20.sql.gz
		line 2026-01-26T03:00:15Z 52428800 s3://b/db/db_2099-12-31.sql.gz
	} >"$IN"
	run -2 --separate-stderr bkage --now "$NOW" --name-time 'db_%Y-%m-%d' <"$IN"
	assert_output --partial 'BKAGE CRITICAL - newest s3://b/db/db_2026-01-20.sql.gz is 6d06h old'
}

@test "UNKNOWN: a short aws s3 ls line after a 6-day-old backup is not OK 1h old (no bytes reused)" {
	{
		printf '2026-01-20 03:00:15   52428800 db/old.sql.gz\n'
		printf '2026-01-26 3:0:0\n'
	} >"$IN"
	TZ=UTC run -3 --separate-stderr bkage --now "$NOW" <"$IN"
	assert_output 'BKAGE UNKNOWN - stdin line 2: not an aws s3 ls line: the time is not a local time like 2026-01-26 03:00:15'
	# every cut of a good line is UNKNOWN, never OK
	local good='2026-01-26 05:00:15   52428800 db/new.sql.gz' n
	for ((n = 1; n < 31; n++)); do
		{ printf '2026-01-20 03:00:15   52428800 db/old.sql.gz\n'; printf '%s\n' "${good:0:n}"; } >"$IN"
		TZ=UTC run -3 --separate-stderr bkage --now "$NOW" <"$IN"
		[[ $output == 'BKAGE UNKNOWN - stdin line 2: '* ]] || fail "cut at $n: $output"
	done
}

@test "UNKNOWN: a listing line with bytes after a NUL is refused, not cut at the NUL" {
	{
		line 2026-01-26T03:00:15Z 52428800 s3://b/db/a.sql.gz
		printf '2026-01-26T05:00:15Z\t52428800\ts3://b/db/b.sql.gz\0junk\n'
	} >"$IN"
	run -3 --separate-stderr bkage --now "$NOW" <"$IN"
	assert_output 'BKAGE UNKNOWN - stdin line 2: a NUL byte in the line'
	# and %00, a NUL written as an escape
	{
		line 2026-01-26T03:00:15Z 52428800 s3://b/db/a.sql.gz
		line 2026-01-26T05:00:15Z 52428800 's3://b/db/b.sql.gz%00junk'
	} >"$IN"
	run -3 --separate-stderr bkage --now "$NOW" <"$IN"
	assert_output 'BKAGE UNKNOWN - stdin line 2: %00 in the URL: no key holds a NUL'
	run -3 --separate-stderr bkage --no-proofs --now "$NOW" --expired 1d --keep 1 <"$IN"
	assert_output ''
}

@test "a listing line longer than LISTING_LINE_MAX (8192) is UNKNOWN naming the line; a 20 MB line costs bounded memory" {
	{
		line 2026-01-26T03:00:15Z 52428800 s3://b/db/a.sql.gz
		printf '2026-01-26T05:00:15Z\t1\ts3://b/'
		head -c 20000000 /dev/zero | tr '\0' x
		printf '\n'
	} >"$IN"
	# 64 MiB of address space is far less than the line would need whole
	# (a sanitizer build, which reserves terabytes, cannot start under it:
	# there the RSS below bounds it)
	if bash -c 'ulimit -v 65536 && exec bkage --version' >/dev/null 2>&1; then
		run -3 --separate-stderr bash -c 'ulimit -v 65536 && exec bkage --now "$1" <"$2"' - "$NOW" "$IN"
	else
		run -3 --separate-stderr bkage --now "$NOW" <"$IN"
	fi
	assert_output 'BKAGE UNKNOWN - stdin line 2: longer than 8192 bytes, the most a line may be'
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f %M -o "$T/rss" bkage --now "$NOW" --lenient <"$IN" >"$T/out" 2>"$T/err" || true
		echo "# max RSS with a 20 MB line, --lenient: $(tail -n 1 "$T/rss") KiB" >&3
		[ "$(tail -n 1 "$T/rss")" -lt 40000 ] || fail "$(tail -n 1 "$T/rss") KiB for one long line"
		grep -q '^BKAGE OK - newest s3://b/db/a.sql.gz' "$T/out"
		grep -q 'line 2: skipped: longer than 8192 bytes' "$T/err"
	fi
	# a line of exactly 8192 bytes is read
	local url
	url="s3://b/db/$(head -c $((8192 - 30 - 10)) /dev/zero | tr '\0' y)"
	line 2026-01-26T03:00:15Z 52428800 "$url" >"$IN"
	[ "$(head -n 1 "$IN" | wc -c)" -eq 8193 ]
	run -0 --separate-stderr bkage --now "$NOW" <"$IN"
}

@test "WARNING and CRITICAL together: the worst wins" {
	{
		line 2026-01-25T03:00:15Z 52428800 s3://b/db/a.sql.gz
		line 2026-01-26T03:00:15Z 100 s3://b/db/b.sql.gz
	} >"$IN"
	run -2 --separate-stderr bkage --now "$NOW" -w 1h --max-shrink 10 --min-count 5 <"$IN"
	assert_output --partial ', older than 1h, smaller than 1024 bytes (1.0 kB), 100% smaller than the one before, fewer than 5 backups |'
}

@test "UNKNOWN: an unreadable line, named by its line number" {
	{
		line 2026-01-25T03:00:15Z 52428800 s3://b/db/a.sql.gz
		line 2026-01-26T03:00:15Z 52428800 s3://b/db/b.sql.gz
		echo 'total 2 objects'
	} >"$IN"
	run -3 --separate-stderr bkage --now "$NOW" <"$IN"
	assert_output 'BKAGE UNKNOWN - stdin line 3: not a listing line, an aws s3 ls or rclone lsl line, or a readable file'
	run -3 --separate-stderr bkage --now "$NOW" "$IN"
	assert_output "BKAGE UNKNOWN - $IN line 3: not a listing line, an aws s3 ls or rclone lsl line, or a readable file"
	# a listing line with a bad time or size is unreadable too
	printf '2026-13-26T03:00:15Z\t1\ts3://b/db/x\n' >"$IN"
	run -3 --separate-stderr bkage --now "$NOW" <"$IN"
	assert_output --partial 'stdin line 1: not a listing line'
}

@test "--lenient skips an unreadable line with a warning" {
	{
		line 2026-01-25T03:00:15Z 52428800 s3://b/db/a.sql.gz
		echo 'total 2 objects'
		line 2026-01-26T03:00:15Z 52428800 s3://b/db/b.sql.gz
	} >"$IN"
	run -0 --separate-stderr bkage --now "$NOW" --lenient <"$IN"
	assert_output 'BKAGE OK - newest s3://b/db/b.sql.gz is 3h12m old, 52.4 MB, 2 backups | age=11520s;;93600 size=52428800B count=2'
	assert_equal "$stderr" 'bkage: stdin line 2: skipped: not a listing line, an aws s3 ls or rclone lsl line, or a readable file'
	# nothing readable at all: no backups
	echo 'garbage' >"$IN"
	run -2 --separate-stderr bkage --now "$NOW" --lenient <"$IN"
	assert_output 'BKAGE CRITICAL - no backups found | count=0'
}

@test "UNKNOWN: a FILE that cannot be opened" {
	run -3 --separate-stderr bkage --now "$NOW" "$T/missing"
	assert_output "BKAGE UNKNOWN - $T/missing: No such file or directory"
}

@test "several FILEs are read as one input; - is standard input" {
	line 2026-01-25T03:00:15Z 52428800 s3://b/db/a.sql.gz >"$T/a"
	line 2026-01-26T03:00:15Z 52428800 s3://b/db/b.sql.gz >"$T/b"
	run -0 --separate-stderr bkage --now "$NOW" "$T/a" - <"$T/b"
	assert_output --partial 'newest s3://b/db/b.sql.gz is 3h12m old, 52.4 MB, 2 backups |'
}

# -- input formats --------------------------------------------------------------

@test "s3ls listing lines: common prefixes are skipped, CRLF is accepted" {
	{
		printf -- '-\t-\ts3://b/db/2025/\r\n'
		printf '2026-01-26T03:00:15Z\t52428800\ts3://b/db/x.sql.gz\r\n'
		printf '2026-01-25T03:00:15.000Z\t52428800\ts3://b/db/w.sql.gz\r\n'
	} >"$IN"
	run -0 --separate-stderr bkage --now "$NOW" <"$IN"
	assert_output 'BKAGE OK - newest s3://b/db/x.sql.gz is 3h12m old, 52.4 MB, 2 backups | age=11520s;;93600 size=52428800B count=2'
}

@test "aws s3 ls lines: the same instant gives the same age in UTC, New York and Kolkata" {
	# 2026-01-26T03:00:15Z is 22:00:15 EST the day before, and 08:30:15 IST.
	printf '2026-01-26 03:00:15   52428800 db/x.sql.gz\n' >"$T/utc"
	printf '2026-01-25 22:00:15   52428800 db/x.sql.gz\n' >"$T/ny"
	printf '2026-01-26 08:30:15   52428800 db/x.sql.gz\n' >"$T/kolkata"
	need_tz UTC America/New_York Asia/Kolkata
	local want='BKAGE OK - newest db/x.sql.gz is 3h12m old, 52.4 MB, 1 backup | age=11520s;;93600 size=52428800B count=1'
	TZ=UTC run -0 --separate-stderr bkage --now "$NOW" "$T/utc"
	assert_output "$want"
	TZ=America/New_York run -0 --separate-stderr bkage --now "$NOW" "$T/ny"
	assert_output "$want"
	TZ=Asia/Kolkata run -0 --separate-stderr bkage --now "$NOW" "$T/kolkata"
	assert_output "$want"
}

@test "aws s3 ls lines: the same line gives different ages in different time zones" {
	need_tz UTC America/New_York Asia/Kolkata
	printf '2026-01-26 03:00:15   52428800 db/x.sql.gz\n' >"$IN"
	TZ=UTC run -0 --separate-stderr bkage --now "$NOW" "$IN"
	assert_output --partial '| age=11520s;'
	# 03:00:15 EST is 08:00:15Z: 1h48m in the future, so not the newest
	TZ=America/New_York run -2 --separate-stderr bkage --now "$NOW" "$IN"
	assert_output --partial 'no backups found, 1 in the future beyond the 5m of clock skew allowed (db/x.sql.gz is 1h48m in the future)'
	TZ=America/New_York run -0 --separate-stderr bkage --now "$NOW" --max-skew 2h "$IN"
	assert_output --partial '| age=-6480s;'
	# 03:00:15 IST is 21:30:15Z the day before: 8h42m old
	TZ=Asia/Kolkata run -0 --separate-stderr bkage --now "$NOW" "$IN"
	assert_output --partial 'is 8h42m old'
	assert_output --partial '| age=31320s;'
}

@test "aws s3 ls lines: daylight saving time (EDT, UTC-4) in New York" {
	need_tz America/New_York
	printf '2026-07-01 23:00:15   52428800 db/x.sql.gz\n' >"$IN"
	TZ=America/New_York run -0 --separate-stderr bkage --now 2026-07-02T06:12:15Z "$IN"
	assert_output --partial 'newest db/x.sql.gz is 3h12m old'
}

@test "aws s3 ls lines: PRE lines are skipped, names may have spaces" {
	{
		printf '                           PRE 2025/\n'
		printf '2026-01-25 03:00:15   52428800 db/my backup 2026-01-25.sql.gz\n'
		printf '2026-01-26 03:00:15  123456789 db/my backup 2026-01-26.sql.gz\n'
	} >"$IN"
	TZ=UTC run -0 --separate-stderr bkage --now "$NOW" <"$IN"
	assert_output 'BKAGE OK - newest db/my backup 2026-01-26.sql.gz is 3h12m old, 123.5 MB, 2 backups | age=11520s;;93600 size=123456789B count=2'
}

@test "rclone lsl lines, in local time" {
	{
		printf '  52428800 2026-01-25 03:00:15.123456789 db/a.sql.gz\n'
		printf '  52428800 2026-01-26 03:00:15.000000000 db/my backup.sql.gz\n'
		printf '1234567890 2026-01-24 03:00:15.5 db/big.sql.gz\n'
	} >"$IN"
	TZ=UTC run -0 --separate-stderr bkage --now "$NOW" <"$IN"
	assert_output 'BKAGE OK - newest db/my backup.sql.gz is 3h12m old, 52.4 MB, 3 backups | age=11520s;;93600 size=52428800B count=3'
	printf '  52428800 2026-01-26 08:30:15.123456789 db/x.sql.gz\n' >"$IN"
	need_tz Asia/Kolkata
	TZ=Asia/Kolkata run -0 --separate-stderr bkage --now "$NOW" <"$IN"
	assert_output --partial 'newest db/x.sql.gz is 3h12m old'
}

@test "bare local paths: mtime and size from stat, names with spaces and %" {
	mkdir "$T/backups"
	truncate -s 52428800 "$T/backups/db 100% 2026-01-26.sql.gz"
	truncate -s 2000 "$T/backups/db-2026-01-25.sql.gz"
	touch -d '2026-01-26 03:00:15 UTC' "$T/backups/db 100% 2026-01-26.sql.gz"
	touch -d '2026-01-25 03:00:15 UTC' "$T/backups/db-2026-01-25.sql.gz"
	printf '%s\n' "$T"/backups/* >"$IN"
	run -0 --separate-stderr bkage --now "$NOW" <"$IN"
	assert_output "BKAGE OK - newest $T/backups/db 100% 2026-01-26.sql.gz is 3h12m old, 52.4 MB, 2 backups | age=11520s;;93600 size=52428800B count=2"
	# the time zone does not matter to an mtime
	need_tz Asia/Kolkata
	TZ=Asia/Kolkata run -0 --separate-stderr bkage --now "$NOW" <"$IN"
	assert_output --partial 'is 3h12m old, 52.4 MB, 2 backups |'
	# a directory is not a backup
	printf '%s\n' "$T/backups" >"$IN"
	run -3 --separate-stderr bkage --now "$NOW" <"$IN"
	assert_output --partial 'stdin line 1: not a listing line'
}

@test "listing URLs with spaces and percent-encoding (%20, %25) are read" {
	{
		line 2026-01-25T03:00:15Z 52428800 's3://b/db/my backup.sql.gz'
		line 2026-01-26T03:00:15Z 52428800 's3://b/db/my%20backup%20100%25.sql.gz'
	} >"$IN"
	run -0 --separate-stderr bkage --now "$NOW" <"$IN"
	assert_output --regexp '^BKAGE OK - newest s3://b/db/my(%20| )backup(%20| )100(%25|%)\.sql\.gz is 3h12m old, 52\.4 MB, 2 backups \| '
	perfdata_ok "$output"
}

@test "listing URLs: %20 and %25 are decoded in the report, as s3ls(1) says every reader does" {
	# design.md and s3ls(1): "%" and control bytes are percent-encoded in a
	# listing line, and bkage(1) and the other readers decode them.
	line 2026-01-26T03:00:15Z 52428800 's3://b/db/my%20backup%20100%25.sql.gz' >"$IN"
	run -0 --separate-stderr bkage --now "$NOW" <"$IN"
	assert_output --partial 'newest s3://b/db/my backup 100%.sql.gz is 3h12m old'
}

@test "a name with | in it does not break the perfdata" {
	# S3 keys may hold "|", and s3ls does not encode it; the plugin
	# guidelines reserve it for the start of the perfdata.
	line 2026-01-26T03:00:15Z 52428800 's3://b/db/a|b.sql.gz' >"$IN"
	run -0 --separate-stderr bkage --now "$NOW" <"$IN"
	perfdata_ok "${lines[0]}"
}

# -- selection ------------------------------------------------------------------

@test "--match: only names matching the REGEX count" {
	{
		line 2026-01-25T03:00:15Z 52428800 s3://b/db/2026-01-25.sql.gz
		line 2026-01-26T03:00:15Z 52428800 s3://b/db/2026-01-26.sql.gz
		line 2026-01-26T05:00:00Z 4096 s3://b/db/2026-01-26.log
		line 2026-01-26T05:30:00Z 4096 s3://b/db/2026-01-26.sql.gz.tmp
	} >"$IN"
	run -0 --separate-stderr bkage --now "$NOW" --match '\.sql\.gz$' <"$IN"
	assert_output 'BKAGE OK - newest s3://b/db/2026-01-26.sql.gz is 3h12m old, 52.4 MB, 2 backups | age=11520s;;93600 size=52428800B count=2'
	run -0 --separate-stderr bkage --now "$NOW" <"$IN"
	assert_output --partial 'newest s3://b/db/2026-01-26.sql.gz.tmp is 42m15s old, 4.1 kB, 4 backups |'
	run -2 --separate-stderr bkage --now "$NOW" --match '\.dump$' <"$IN"
	assert_output 'BKAGE CRITICAL - no backups found | count=0'
}

@test "--name-time: the time comes from the name, in UTC" {
	# copied into the bucket 2h later than the dump was taken
	line 2026-01-26T05:00:15Z 52428800 s3://b/db/db_2026-01-26_03-00-15.sql.gz >"$IN"
	run -0 --separate-stderr bkage --now "$NOW" --name-time '%Y-%m-%d_%H-%M-%S' <"$IN"
	assert_output --partial 'newest s3://b/db/db_2026-01-26_03-00-15.sql.gz is 3h12m old'
	run -0 --separate-stderr bkage --now "$NOW" <"$IN"
	assert_output --partial 'is 1h12m old'
	# the name's time is UTC whatever TZ says, also for aws s3 ls lines
	printf '2026-01-26 10:00:00   52428800 db/20260126T030015.sql.gz\n' >"$IN"
	need_tz Asia/Kolkata
	TZ=Asia/Kolkata run -0 --separate-stderr bkage --now "$NOW" --name-time '%Y%m%dT%H%M%S' <"$IN"
	assert_output --partial 'newest db/20260126T030015.sql.gz is 3h12m old'
	# only a date: midnight
	line 2026-01-26T05:00:15Z 52428800 s3://b/db/2026-01-26.sql.gz >"$IN"
	run -0 --separate-stderr bkage --now "$NOW" --name-time '%Y-%m-%d' <"$IN"
	assert_output --partial 'is 6h12m old'
	# a name without a time is unreadable
	line 2026-01-26T05:00:15Z 52428800 s3://b/db/latest.sql.gz >"$IN"
	run -3 --separate-stderr bkage --now "$NOW" --name-time '%Y-%m-%d' <"$IN"
	assert_output 'BKAGE UNKNOWN - stdin line 1: no time in the name (--name-time %Y-%m-%d)'
}

@test "--name-time: a name that --match leaves out needs no time in it" {
	{
		line 2026-01-26T05:00:15Z 52428800 s3://b/db/2026-01-26_03-00-15.sql.gz
		line 2026-01-20T00:00:00Z 812 s3://b/db/README
	} >"$IN"
	run -0 --separate-stderr bkage --now "$NOW" --match '\.sql\.gz$' --name-time '%Y-%m-%d_%H-%M-%S' <"$IN"
	assert_output --partial 'newest s3://b/db/2026-01-26_03-00-15.sql.gz is 3h12m old, 52.4 MB, 1 backup |'
}

# -- groups ---------------------------------------------------------------------

@test "--group-by: one check per group, the worst wins, a line and perfdata per group" {
	{
		line 2026-01-26T03:00:15Z 52428800 s3://b/db1/2026-01-26.sql.gz
		line 2026-01-24T03:00:15Z 52428800 s3://b/db2/2026-01-24.sql.gz
		line 2026-01-25T03:00:15Z 52428800 s3://b/db1/2026-01-25.sql.gz
		line 2026-01-23T03:00:15Z 40000000 s3://b/db2/2026-01-23.sql.gz
	} >"$IN"
	run -2 --separate-stderr bkage --now "$NOW" --group-by '^s3://[^/]*/([^/]*)/' <"$IN"
	assert_equal "${#lines[@]}" 3
	assert_line --index 0 'BKAGE CRITICAL - 2 groups: 1 ok, 0 warning, 1 critical | db1_age=11520s;;93600 db1_size=52428800B db1_count=2 db2_age=184320s;;93600 db2_size=52428800B db2_count=2'
	assert_line --index 1 'db1: OK - newest s3://b/db1/2026-01-26.sql.gz is 3h12m old, 52.4 MB, 2 backups'
	assert_line --index 2 'db2: CRITICAL - newest s3://b/db2/2026-01-24.sql.gz is 2d03h old, 52.4 MB, 2 backups, older than 26h'
	perfdata_ok "${lines[0]}"
	# a WARNING and an OK: WARNING
	run -1 --separate-stderr bkage --now "$NOW" -c 3d -w 1d --group-by '^s3://[^/]*/([^/]*)/' <"$IN"
	assert_line --index 0 --partial 'BKAGE WARNING - 2 groups: 1 ok, 1 warning, 0 critical |'
	assert_line --index 2 --partial 'db2: WARNING - '
	# both fine: OK
	run -0 --separate-stderr bkage --now "$NOW" -c 3d --group-by '^s3://[^/]*/([^/]*)/' <"$IN"
	assert_line --index 0 --partial 'BKAGE OK - 2 groups: 2 ok, 0 warning, 0 critical |'
}

@test "--group-by: labels with spaces and quotes follow the perfdata grammar" {
	{
		line 2026-01-26T03:00:15Z 52428800 "s3://b/my db/x.sql.gz"
		line 2026-01-26T03:00:15Z 52428800 "s3://b/o'brien/x.sql.gz"
	} >"$IN"
	run -0 --separate-stderr bkage --now "$NOW" -w 1d --group-by '^s3://[^/]*/([^/]*)/' <"$IN"
	assert_line --index 0 --partial "| 'my db_age'=11520s;86400;93600 'my db_size'=52428800B 'my db_count'=1 'o''brien_age'=11520s;86400;93600 "
	perfdata_ok "${lines[0]}"
}

@test "--group-by: empty input is CRITICAL, never OK" {
	run -2 --separate-stderr bkage --now "$NOW" --group-by '^s3://[^/]*/([^/]*)/' </dev/null
	assert_line --index 0 --partial 'BKAGE CRITICAL'
	# nothing the REGEX groups is no backups either
	line 2026-01-26T03:00:15Z 52428800 s3://b/x.sql.gz >"$IN"
	run -2 --separate-stderr bkage --now "$NOW" --group-by '^s3://[^/]*/([^/]*)/' <"$IN"
}

# -- output formats ---------------------------------------------------------------

@test "perfdata follows the plugin guidelines' grammar in every status" {
	local args
	line 2026-01-26T03:00:15Z 52428800 s3://b/db/x.sql.gz >"$T/one"
	line 2026-01-26T06:22:15Z 100 s3://b/db/x.sql.gz >"$T/future"
	: >"$T/empty"
	for args in "$T/one" "-w 1h $T/one" "-w 1h -c 2h $T/one" "$T/future" "$T/empty" \
		"--max-shrink 1 --min-count 9 $T/one"; do
		# shellcheck disable=SC2086 # the arguments are split on purpose
		run --separate-stderr bkage --now "$NOW" $args
		[ "$status" -le 2 ] || fail "status $status for $args: $output"
		assert_equal "${#lines[@]}" 1
		perfdata_ok "${lines[0]}"
	done
}

@test "--format prometheus: the figures, accepted by promtool check metrics" {
	command -v promtool >/dev/null || skip "promtool (Debian package prometheus) is not installed"
	{
		line 2026-01-25T03:00:15Z 52000000 s3://b/db/a.sql.gz
		line 2026-01-26T03:00:15Z 52428800 s3://b/db/b.sql.gz
	} >"$IN"
	run -0 --separate-stderr bkage --now "$NOW" --format prometheus <"$IN"
	assert_line 'bkpipe_backup_last_timestamp_seconds 1769396415'
	assert_line 'bkpipe_backup_last_size_bytes 52428800'
	assert_line 'bkpipe_backups_found 2'
	assert_line 'bkpipe_backup_status 0'
	printf '%s\n' "$output" >"$T/metrics.prom"
	run -0 promtool check metrics <"$T/metrics.prom"
	assert_output ""
}

@test "--format prometheus: a label per group, escaped; promtool check metrics" {
	command -v promtool >/dev/null || skip "promtool (Debian package prometheus) is not installed"
	{
		line 2026-01-26T03:00:15Z 52428800 s3://b/db1/x.sql.gz
		line 2026-01-20T03:00:15Z 52428800 's3://b/db "2"\/x.sql.gz'
	} >"$IN"
	run -2 --separate-stderr bkage --now "$NOW" --format prometheus --group-by '^s3://[^/]*/([^/]*)/' <"$IN"
	assert_line 'bkpipe_backup_last_timestamp_seconds{group="db1"} 1769396415'
	assert_line 'bkpipe_backup_status{group="db1"} 0'
	assert_line 'bkpipe_backup_status{group="db \"2\"\\"} 2'
	printf '%s\n' "$output" >"$T/metrics.prom"
	run -0 promtool check metrics <"$T/metrics.prom"
	# no backups: the status says CRITICAL, no timestamp is made up
	run -2 --separate-stderr bkage --now "$NOW" --format prometheus </dev/null
	assert_line 'bkpipe_backup_status 2'
	assert_line 'bkpipe_backups_found 0'
	refute_line --regexp '^bkpipe_backup_last_(timestamp_seconds|size_bytes)'
	printf '%s\n' "$output" >"$T/metrics.prom"
	run -0 promtool check metrics <"$T/metrics.prom"
}

@test "--format json parses and has the figures" {
	{
		line 2026-01-25T03:00:15Z 52000000 s3://b/db/a.sql.gz
		line 2026-01-26T03:00:15Z 52428800 's3://b/db/"quoted"\name.sql.gz'
	} >"$IN"
	run -1 --separate-stderr bkage --now "$NOW" --format json -w 3h <"$IN"
	printf '%s\n' "$output" >"$T/out.json"
	run -0 python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["status"] == "WARNING" and d["code"] == 1, d
assert d["now"] == "2026-01-26T06:12:15Z", d
[g] = d["groups"]
assert g["status"] == "WARNING" and g["count"] == 2, g
n = g["newest"]
assert n["name"] == "s3://b/db/\"quoted\"\\name.sql.gz", n
assert n["time"] == "2026-01-26T03:00:15Z" and n["age_seconds"] == 11520, n
assert n["size"] == 52428800, n
assert g["previous"]["size"] == 52000000, g
assert g["problems"] == "older than 3h", g
print("ok")
' <"$T/out.json"
	assert_output ok
}

@test "--format json with groups parses, a status per group" {
	{
		line 2026-01-26T03:00:15Z 52428800 s3://b/db1/x.sql.gz
		line 2026-01-20T03:00:15Z 52428800 s3://b/db2/x.sql.gz
	} >"$IN"
	run -2 --separate-stderr bkage --now "$NOW" --format json --group-by '^s3://[^/]*/([^/]*)/' <"$IN"
	printf '%s\n' "$output" >"$T/out.json"
	run -0 python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["status"] == "CRITICAL" and d["code"] == 2, d
st = {g["group"]: (g["status"], g["newest"]["age_seconds"]) for g in d["groups"]}
assert st == {"db1": ("OK", 11520), "db2": ("CRITICAL", 529920)}, st
print("ok")
' <"$T/out.json"
	assert_output ok
}

@test "--format json on empty input: CRITICAL, the problem reads 'no backups found'" {
	run -2 --separate-stderr bkage --now "$NOW" --format json </dev/null
	printf '%s\n' "$output" >"$T/out.json"
	run -0 python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["status"] == "CRITICAL" and d["code"] == 2, d
[g] = d["groups"]
assert g["count"] == 0 and "newest" not in g, g
assert g["problems"] == "no backups found", g
print("ok")
' <"$T/out.json"
	assert_output ok
}

@test "-q prints nothing but keeps the status" {
	line 2026-01-26T03:00:15Z 52428800 s3://b/db/x.sql.gz >"$IN"
	run -0 --separate-stderr bkage --now "$NOW" -q <"$IN"
	assert_output ""
	assert_equal "$stderr" ""
	run -1 --separate-stderr bkage --now "$NOW" -q -w 1h <"$IN"
	assert_output ""
	run -2 --separate-stderr bkage --now "$NOW" --quiet -c 1h <"$IN"
	assert_output ""
	run -2 --separate-stderr bkage --now "$NOW" -q </dev/null
	assert_output ""
	assert_equal "$stderr" ""
	run -2 --separate-stderr bkage --now "$NOW" -q --format prometheus -o "$T/m.prom" </dev/null
	assert_output ""
}

@test "-q: an unreadable line or FILE is UNKNOWN with nothing on standard output" {
	# -q is "print nothing; only the exit status" (a message on standard
	# error, as grep -q gives, is fine)
	echo 'total 2 objects' >"$IN"
	run -3 --separate-stderr bkage --now "$NOW" -q <"$IN"
	assert_output ""
	run -3 --separate-stderr bkage --now "$NOW" -q "$T/missing"
	assert_output ""
}

@test "-o FILE: the report is written there, readable by all, no temporary left" {
	line 2026-01-26T03:00:15Z 52428800 s3://b/db/x.sql.gz >"$IN"
	mkdir "$T/out"
	run -0 --separate-stderr bkage --now "$NOW" -o "$T/out/bkpipe.prom" --format prometheus <"$IN"
	assert_output ""
	run -0 cat "$T/out/bkpipe.prom"
	assert_line 'bkpipe_backup_last_timestamp_seconds 1769396415'
	run -0 stat -c %a "$T/out/bkpipe.prom"
	assert_output 644
	run -0 ls -A "$T/out"
	assert_output bkpipe.prom
	# a directory that is not there: UNKNOWN, said on standard output
	run -3 --separate-stderr bkage --now "$NOW" -o "$T/nowhere/bkpipe.prom" <"$IN"
	assert_output --regexp "^BKAGE UNKNOWN - $T/nowhere/bkpipe\.prom: cannot write: "
}

@test "-o FILE is atomic: a concurrent reader never sees a partial or empty file" {
	local d=$T/out i reads bad
	mkdir "$d"
	# two inputs of 500 groups whose reports (over 64 KiB) differ
	awk 'BEGIN { for (i = 0; i < 500; i++) printf "2026-01-26T03:00:15Z\t52428800\ts3://b/db%03d/x.sql.gz\n", i }' >"$T/a"
	awk 'BEGIN { for (i = 0; i < 500; i++) printf "2026-01-25T03:00:15Z\t1000\ts3://b/db%03d/x.sql.gz\n", i }' >"$T/b"
	bkage --now "$NOW" --format prometheus --group-by '^s3://[^/]*/([^/]*)/' "$T/a" >"$T/a.want" || true
	bkage --now "$NOW" --format prometheus --group-by '^s3://[^/]*/([^/]*)/' "$T/b" >"$T/b.want" || true
	[ "$(wc -c <"$T/a.want")" -gt 65536 ]
	run -1 cmp -s "$T/a.want" "$T/b.want"
	cp "$T/a.want" "$d/bkpipe.prom"

	# the reader: as many whole reads as it can, until told to stop
	(
		# (read -d '' reads a whole file, and fails at its end)
		IFS= read -r -d '' a <"$T/a.want" || true
		IFS= read -r -d '' b <"$T/b.want" || true
		n=0 bad=0
		while [ ! -e "$T/stop" ]; do
			IFS= read -r -d '' c <"$d/bkpipe.prom" || true
			if [ "$c" != "$a" ] && [ "$c" != "$b" ]; then
				bad=$((bad + 1))
				printf '%s' "$c" >"$T/bad.$bad"
			fi
			n=$((n + 1))
		done
		echo "$n $bad" >"$T/reads"
	) &
	for ((i = 0; i < 60; i++)); do
		bkage --now "$NOW" --format prometheus --group-by '^s3://[^/]*/([^/]*)/' \
			-o "$d/bkpipe.prom" "$T/$([ $((i % 2)) -eq 0 ] && echo b || echo a)" || true
	done
	touch "$T/stop"
	wait
	read -r reads bad <"$T/reads"
	echo "# $reads reads, $bad bad" >&3
	[ "$bad" -eq 0 ] || fail "$bad of $reads reads saw neither whole report (see $T/bad.*)"
	[ "$reads" -ge 20 ] || fail "only $reads reads"
	run -0 ls -A "$d"
	assert_output bkpipe.prom
}

@test "-o FILE on a FIFO writes into it rather than replacing it with a regular file" {
	local pid
	line 2026-01-26T03:00:15Z 52428800 s3://b/db/x.sql.gz >"$IN"
	mkfifo "$T/fifo"
	timeout 20 cat "$T/fifo" >"$T/got" 3>&- &
	pid=$!
	run --separate-stderr timeout 10 bkage --now "$NOW" -o "$T/fifo" <"$IN"
	if [ ! -p "$T/fifo" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" || true
		fail "the FIFO was replaced by a regular file (as /dev/null would be, for root)"
	fi
	wait "$pid" || true
	run -0 cat "$T/got"
	assert_output --partial 'BKAGE OK - newest s3://b/db/x.sql.gz'
}

# -- retention --------------------------------------------------------------------

@test "--expired 7d --keep 10 with 30 daily backups: exactly the 20 oldest" {
	daily 30 >"$IN"
	run -0 --separate-stderr bkage --no-proofs --now 2026-01-26T06:00:00Z --expired 7d --keep 10 <"$IN"
	assert_equal "${#lines[@]}" 20
	assert_equal "$(printf '%s\n' "$output" | sort)" "$(head -n 20 "$IN" | sort)"
	assert_equal "$stderr" ""
	# the lines are printed as they were read, TABs and all
	assert_line "$(head -n 1 "$IN")"
}

@test "--expired 7d --keep 3: exactly the backups older than 7d" {
	daily 30 >"$IN"
	run -0 --separate-stderr bkage --no-proofs --now 2026-01-26T06:00:00Z --expired 7d --keep 3 <"$IN"
	# 03:00 seven days ago is 7d03h old; eight days ago and earlier: 23
	assert_equal "${#lines[@]}" 23
	assert_equal "$(printf '%s\n' "$output" | sort)" "$(head -n 23 "$IN" | sort)"
}

@test "--expired: --keep 40 with 30 backups selects nothing" {
	daily 30 >"$IN"
	run -0 --separate-stderr bkage --no-proofs --now 2026-01-26T06:00:00Z --expired 1d --keep 40 <"$IN"
	assert_output ""
	run -0 --separate-stderr bkage --no-proofs --now 2026-01-26T06:00:00Z --expired 1d --keep 30 <"$IN"
	assert_output ""
	run -0 --separate-stderr bkage --no-proofs --now 2026-01-26T06:00:00Z --expired 1d --keep 29 <"$IN"
	assert_output "$(head -n 1 "$IN")"
}

@test "--expired never selects the newest, even when every backup is past the cutoff" {
	daily 30 >"$IN"
	local newest
	newest=$(tail -n 1 "$IN")
	run -0 --separate-stderr bkage --no-proofs --now 2027-01-01T00:00:00Z --expired 1d --keep 1 <"$IN"
	assert_equal "${#lines[@]}" 29
	refute_line "$newest"
	run -0 --separate-stderr bkage --no-proofs --now 2026-01-26T06:00:00Z --expired 0 --keep 1 <"$IN"
	assert_equal "${#lines[@]}" 29
	refute_line "$newest"
	# the default --keep is 7
	run -0 --separate-stderr bkage --no-proofs --now 2027-01-01T00:00:00Z --expired 1d <"$IN"
	assert_equal "${#lines[@]}" 23
	# a single backup, however old, is kept
	tail -n 1 "$IN" >"$T/one"
	run -0 --separate-stderr bkage --no-proofs --now 2030-01-01T00:00:00Z --expired 1d --keep 1 <"$T/one"
	assert_output ""
}

@test "--expired: input in shuffled order gives the same set" {
	daily 30 >"$IN"
	shuf --random-source=<(yes) "$IN" >"$T/shuffled"
	run -1 cmp -s "$IN" "$T/shuffled"
	run -0 --separate-stderr bkage --no-proofs --now 2026-01-26T06:00:00Z --expired 7d --keep 10 <"$IN"
	local want
	want=$(printf '%s\n' "$output" | sort)
	run -0 --separate-stderr bkage --no-proofs --now 2026-01-26T06:00:00Z --expired 7d --keep 10 <"$T/shuffled"
	assert_equal "$(printf '%s\n' "$output" | sort)" "$want"
	assert_equal "${#lines[@]}" 20
	# newest first
	tac "$IN" >"$T/reversed"
	run -0 --separate-stderr bkage --no-proofs --now 2026-01-26T06:00:00Z --expired 7d --keep 10 <"$T/reversed"
	assert_equal "$(printf '%s\n' "$output" | sort)" "$want"
}

@test "--expired with --match and --group-by: the newest --keep of each group are kept" {
	{
		daily 10 s3://b/db1
		daily 10 s3://b/db2
		line 2020-01-01T00:00:00Z 10 s3://b/db1/README
	} >"$IN"
	run -0 --separate-stderr bkage --no-proofs --now 2026-01-26T06:00:00Z --expired 1d --keep 4 \
		--match '\.sql\.gz$' --group-by '^s3://[^/]*/([^/]*)/' <"$IN"
	assert_equal "${#lines[@]}" 12
	assert_equal "$(printf '%s\n' "$output" | sort)" \
		"$({ daily 10 s3://b/db1 | head -n 6; daily 10 s3://b/db2 | head -n 6; } | sort)"
}

@test "--expired prints aws s3 ls lines as they were read" {
	{
		printf '2026-01-20 03:00:15   52428800 db/old backup.sql.gz\n'
		printf '2026-01-25 03:00:15   52428800 db/new backup.sql.gz\n'
	} >"$IN"
	TZ=UTC run -0 --separate-stderr bkage --no-proofs --now "$NOW" --expired 2d --keep 1 <"$IN"
	assert_output '2026-01-20 03:00:15   52428800 db/old backup.sql.gz'
}

@test "--expired --keep-daily 3: the newest of each of the last 3 days is kept" {
	# two backups a day (03:00 and 15:00) for 10 days
	{
		daily 10
		daily 10 | sed 's/T03:00:00Z/T15:00:00Z/; s/_03-00-00/_15-00-00/'
	} | sort >"$IN"
	run -0 --separate-stderr bkage --no-proofs --now 2026-01-27T00:00:00Z --expired 0 --keep-daily 3 <"$IN"
	assert_equal "${#lines[@]}" 17
	refute_line --partial 's3://b/db/2026-01-26_15-00-00.sql.gz'
	refute_line --partial 's3://b/db/2026-01-25_15-00-00.sql.gz'
	refute_line --partial 's3://b/db/2026-01-24_15-00-00.sql.gz'
	assert_line --partial 's3://b/db/2026-01-26_03-00-00.sql.gz'
}

@test "--expired: an unreadable line, even the last, stops retention with nothing printed; the message is on standard error" {
	# standard output of --expired goes to s3rm: only input lines belong there
	{
		daily 3
		echo 'total 3 objects'
	} >"$IN"
	run -3 --separate-stderr bkage --no-proofs --now 2026-01-26T06:00:00Z --expired 1d --keep 1 <"$IN"
	refute_output --partial 'BKAGE'
	# nothing is printed before the whole input is read and found good
	assert_output ""
	assert_equal "${#stderr_lines[@]}" 1
	[[ $stderr == *'line 4'* ]] || fail "stderr does not name line 4: $stderr"
}

@test "--expired: a backup in the future beyond --max-skew refuses retention, nothing printed, unless --allow-future" {
	# a mistyped year takes no --keep slot: without the refusal, every real backup would go
	{
		daily 10
		line 2026-01-26T03:00:00Z 52428800 s3://b/db/2099-12-31_03-00-00.sql.gz
	} >"$IN"
	run -3 --separate-stderr bkage --no-proofs --now 2026-01-26T06:00:00Z --expired 1d --keep 3 --name-time '%Y-%m-%d_%H-%M-%S' <"$IN"
	assert_output ""
	[[ $stderr == *'stdin line 11: s3://b/db/2099-12-31_03-00-00.sql.gz is '*' in the future, beyond the 5m00s of --max-skew: nothing selected'*'--allow-future'* ]] ||
		fail "stderr: $stderr"
	# told to, it leaves it out: neither kept nor selected, and the newest 3 real ones are kept
	run -0 --separate-stderr bkage --no-proofs --now 2026-01-26T06:00:00Z --expired 1d --keep 3 --name-time '%Y-%m-%d_%H-%M-%S' --allow-future <"$IN"
	assert_equal "$(printf '%s\n' "$output" | sort)" "$(head -n 7 "$IN" | sort)"
	[[ $stderr == *'neither kept nor selected (--allow-future)'* ]] || fail "stderr: $stderr"
	# an mtime in the future, the same
	{
		daily 3
		line 2026-01-26T06:10:00Z 52428800 s3://b/db/z.sql.gz
	} >"$IN"
	run -3 --separate-stderr bkage --no-proofs --now 2026-01-26T06:00:00Z --expired 0 --keep 1 <"$IN"
	assert_output ""
}

@test "--expired honours --max-skew: within it a backup is kept as the newest, beyond it refused" {
	{
		daily 3
		line 2026-01-26T06:10:00Z 52428800 s3://b/db/z.sql.gz
	} >"$IN"
	run -0 --separate-stderr bkage --no-proofs --now 2026-01-26T06:00:00Z --expired 0 --keep 1 --max-skew 15m <"$IN"
	assert_equal "$(printf '%s\n' "$output" | sort)" "$(head -n 3 "$IN" | sort)"
	run -3 --separate-stderr bkage --no-proofs --now 2026-01-26T06:00:00Z --expired 0 --keep 1 --max-skew 5m <"$IN"
	assert_output ""
	run -3 --separate-stderr bkage --allow-future </dev/null
	assert_equal "$stderr" 'bkage: --allow-future applies to --expired only'
}

@test "--expired over several prefixes without --group-by is refused with a hint, nothing printed" {
	{
		daily 10 s3://b/db1
		daily 2 s3://b/db2
	} >"$IN"
	run -3 --separate-stderr bkage --no-proofs --now 2026-01-26T06:00:00Z --expired 1d --keep 7 <"$IN"
	assert_output ""
	assert_equal "$stderr" "bkage: stdin line 11: s3://b/db2/2026-01-25_03-00-00.sql.gz is not under s3://b/db1/ (line 1), and --keep would count across both: nothing selected (hint: --group-by REGEX keeps each set on its own, e.g. --group-by '^(.*/)' for each prefix)"
	# with --group-by, each prefix keeps its own newest 7
	run -0 --separate-stderr bkage --no-proofs --now 2026-01-26T06:00:00Z --expired 1d --keep 7 --group-by '^(.*/)' <"$IN"
	assert_equal "$(printf '%s\n' "$output" | sort)" "$(daily 10 s3://b/db1 | head -n 3 | sort)"
	run -3 --separate-stderr bkage --keep 3 </dev/null
	assert_equal "$stderr" 'bkage: --keep, --keep-daily, --keep-weekly and --keep-monthly apply to --expired only'
}

@test "--expired never selects the newest of a group, whatever the order, ties or times" {
	# ties of time: the newest is the last by name, in every order
	{
		line 2026-01-20T03:00:00Z 52428800 s3://b/db/a.sql.gz
		line 2026-01-20T03:00:00Z 52428800 s3://b/db/c.sql.gz
		line 2026-01-20T03:00:00Z 52428800 s3://b/db/b.sql.gz
	} >"$IN"
	local perm want
	want=$(printf '%s\n' "$(sed -n 1p "$IN")" "$(sed -n 3p "$IN")" | sort)
	for perm in 123 132 213 231 312 321; do
		sed -n "${perm:0:1}p;${perm:1:1}p;${perm:2:1}p" "$IN" >"$T/p"
		run -0 --separate-stderr bkage --no-proofs --now 2026-01-26T06:00:00Z --expired 0 --keep 1 <"$T/p"
		assert_equal "$(printf '%s\n' "$output" | sort)" "$want"
	done
	# random times and orders, with groups: the newest of each group is never printed
	local round g
	for ((round = 0; round < 20; round++)); do
		awk -v seed=$round 'BEGIN { srand(seed); n = 1 + int(rand() * 30)
			for (i = 0; i < n; i++)
				printf "2026-01-%02dT%02d:00:00Z\t1\ts3://b/db%d/k%02d\n", 10 + int(rand() * 5),
				    int(rand() * 3), int(rand() * 3), i }' >"$T/r"
		run -0 --separate-stderr bkage --no-proofs --now 2026-01-26T06:00:00Z --expired 0 --keep 1 --group-by '^s3://b/(db[0-9])/' <"$T/r"
		printf '%s\n' "$output" >"$T/out"
		for g in db0 db1 db2; do
			newest=$(grep "/$g/" "$T/r" | sort -t "$(printf '\t')" -k1,1 -k3,3 | tail -n 1) || continue
			[ -z "$newest" ] && continue
			if grep -qxF "$newest" "$T/out"; then fail "round $round: the newest of $g was selected: $newest"; fi
		done
	done
	# one object listed twice: nothing printed, since one copy of it is kept
	{ daily 3; daily 3; } >"$IN"
	run -3 --separate-stderr bkage --no-proofs --now 2026-01-26T06:00:00Z --expired 0 --keep 1 <"$IN"
	assert_output ""
	[[ $stderr == *'is listed twice, and one is kept: nothing selected'* ]] || fail "stderr: $stderr"
}

@test "--expired: the retention examples of bkage(1), on backup.sh's layout, never select the newest proven backup, nor every backup, and take proofs with backups" {
	# 400 daily backups under s3://backups/db/, their .counts under
	# s3://backups/.proofs/db/; the newest is unproven (in progress), the one
	# before damaged.
	daily 400 s3://backups/db >"$T/src"
	head -n 399 "$T/src" | proofs_of .counts >"$T/proofs"
	sed -n 399p "$T/src" | proofs_of .damaged >>"$T/proofs"
	sort -t "$(printf '\t')" -k3,3 -o "$T/proofs" "$T/proofs"
	local cmds n=0 cmd got proven
	proven=$(sed -n 398p "$T/src")
	# the indented command lines of EXAMPLES, scdoc's \* unescaped
	cmds=$(sed -n '/^# EXAMPLES/,/^# SEE ALSO/p' "$MAN" | grep -E '^	.*bkage .*--expired' |
		sed 's/^	//; s/\\\*/*/g')
	[ -n "$cmds" ] || fail "no retention examples in $MAN"
	while IFS= read -r cmd; do
		[[ $cmd == *--proofs* ]] || fail "$cmd: no --proofs"
		# s3ls lists $T/src (with -r, the proofs too) or the proofs; s3rm prints what it is given
		mkdir -p "$T/run$n"
		got=$(cd "$T/run$n" && s3ls() {
			if [[ $* == *.proofs/* ]]; then cat "$T/proofs"
			elif [[ $1 == -r ]]; then cat "$T/src" "$T/proofs"
			else cat "$T/src"; fi
		} && s3rm() { cat; } && export -f s3ls s3rm &&
			T=$T bash -c "set -o pipefail; ${cmd//bkage /bkage --now 2026-01-26T06:00:00Z }") ||
			fail "$cmd: exit $?"
		[ -n "$got" ] || fail "$cmd selects nothing of 400 daily backups"
		if grep -qxF "$proven" <<<"$got"; then fail "$cmd selects the newest proven backup"; fi
		if grep -qxF "$(tail -n 1 "$T/src")" <<<"$got"; then fail "$cmd selects the unproven newest backup"; fi
		[ "$(grep -c 's3://backups/db/' <<<"$got")" -lt 399 ] || fail "$cmd selects every proven backup"
		# each backup selected comes with its proof, and no proof without its backup
		diff <(grep 's3://backups/db/' <<<"$got" | proofs_of .counts) <(grep '/\.proofs/' <<<"$got" | grep -v damaged) ||
			fail "$cmd: the proofs printed are not those of the backups printed"
		n=$((n + 1))
	done <<<"$cmds"
	((n >= 3)) || fail "only $n retention examples"
}

# -- proofs -----------------------------------------------------------------------

# proofs_of SUFFIX: the listing lines of standard input as those of their
# proofs: s3://B/KEY as s3://B/.proofs/KEY followed by SUFFIX, stored a minute later.
proofs_of() {
	sed -E "s|^([0-9-]+T[0-9]{2}:)([0-9]{2})|\1\2|; s|\t[0-9]+\t(s3://[^/]+/)|\t63\t\1.proofs/|; s|\$|$1|"
}

@test "--proofs: a line of FILE not under s3://B/.proofs/ is UNKNOWN naming FILE and the line; nothing selected" {
	daily 5 >"$IN"
	{ proofs_of .counts <"$IN"; sed -n 2p "$IN"; } >"$T/proofs"
	run -3 --separate-stderr bkage --now "$NOW" --proofs "$T/proofs" <"$IN"
	assert_output "BKAGE UNKNOWN - $T/proofs line 6: s3://b/db/2026-01-23_03-00-00.sql.gz: not a proof: not under s3://BUCKET/.proofs/"
	run -3 --separate-stderr bkage --now "$NOW" --expired 0 --keep 1 --proofs "$T/proofs" <"$IN"
	assert_output ""
	assert_equal "$stderr" "bkage: $T/proofs line 6: s3://b/db/2026-01-23_03-00-00.sql.gz: not a proof: not under s3://BUCKET/.proofs/"
	# a key under .proofs/ without a known suffix
	proofs_of .txt <"$IN" >"$T/proofs"
	run -3 --separate-stderr bkage --now "$NOW" --expired 0 --keep 1 --proofs "$T/proofs" <"$IN"
	assert_output ""
	[[ $stderr == *"$T/proofs line 1: s3://b/.proofs/db/2026-01-22_03-00-00.sql.gz.txt: not a proof: not a backup's key followed by .counts, .damaged, .roles.sql or .database.sql" ]] ||
		fail "stderr: $stderr"
	# an aws s3 ls line, a local path, an unreadable line
	printf '2026-01-20 03:00:15   52428800 .proofs/db/x.sql.gz.counts\n' >"$T/proofs"
	run -3 --separate-stderr bkage --now "$NOW" --proofs "$T/proofs" <"$IN"
	assert_output --partial "$T/proofs line 1: .proofs/db/x.sql.gz.counts: not a proof"
	printf 'total 3\n' >"$T/proofs"
	run -3 --separate-stderr bkage --now "$NOW" --proofs "$T/proofs" <"$IN"
	assert_output --partial "$T/proofs line 1: not a listing line"
	run -3 --separate-stderr bkage --now "$NOW" --proofs "$T/nothing" <"$IN"
	assert_output "BKAGE UNKNOWN - --proofs $T/nothing: No such file or directory"
}

@test "--proofs: an entry of the input that is not an s3:// URL is UNKNOWN; entries under .proofs/ are left out, and with --no-proofs refused" {
	daily 3 >"$IN"
	proofs_of .counts <"$IN" >"$T/proofs"
	touch "$T/local.sql.gz"
	echo "$T/local.sql.gz" >>"$IN"
	run -3 --separate-stderr bkage --now "$NOW" --proofs "$T/proofs" <"$IN"
	assert_output "BKAGE UNKNOWN - stdin line 4: not an s3:// URL, and --proofs needs s3ls listing lines of the backups"
	# a recursive listing holds the proofs too: they are never backups
	daily 3 >"$IN"
	cat "$T/proofs" >>"$IN"
	run -0 --separate-stderr bkage --now "$NOW" --proofs "$T/proofs" <"$IN"
	assert_output --partial ", 3 proven backups (0 damaged, 0 unproven) |"
	run -0 --separate-stderr bkage --now "$NOW" <"$IN"
	assert_output --partial ", 3 backups |"
	run -3 --separate-stderr bkage --now "$NOW" --no-proofs --expired 0 --keep 1 <"$IN"
	assert_output ""
	assert_equal "$stderr" "bkage: stdin line 4: a proof, not a backup: with proofs, give --proofs FILE, not --no-proofs"
	run -3 --separate-stderr bkage --proofs "$T/proofs" --no-proofs <"$IN"
	assert_line --index 0 "BKAGE UNKNOWN - --proofs and --no-proofs: give one"
}

@test "health --proofs: the newest proven backup is judged; newer unproven ones are not, but the newest is named" {
	daily 10 >"$IN"
	head -n 8 "$IN" | proofs_of .counts >"$T/proofs"
	# the newest proven is 2026-01-24, 2d03h old at $NOW: CRITICAL by age
	run -2 --separate-stderr bkage --now "$NOW" --proofs "$T/proofs" <"$IN"
	assert_output "BKAGE CRITICAL - newest proven s3://b/db/2026-01-24_03-00-00.sql.gz is 2d03h old, 52.4 MB, 8 proven backups (0 damaged, 2 unproven), older than 26h, s3://b/db/2026-01-26_03-00-00.sql.gz, newer, is unproven (in progress?) | age=184335s;;93600 size=52428802B count=8 damaged=0 unproven=2"
	perfdata_ok "$output"
	# proven up to yesterday: OK, the unproven newest named
	head -n 9 "$IN" | proofs_of .counts >"$T/proofs"
	run -0 --separate-stderr bkage --now "$NOW" -c 2d --proofs "$T/proofs" <"$IN"
	assert_output --partial "BKAGE OK - newest proven s3://b/db/2026-01-25_03-00-00.sql.gz is 1d03h old"
	run -0 --separate-stderr bkage --now "$NOW" -c 2d --proofs "$T/proofs" <"$IN"
	assert_output --partial "9 proven backups (0 damaged, 1 unproven), s3://b/db/2026-01-26_03-00-00.sql.gz, newer, is unproven (in progress?) |"
	# --min-count counts proven backups; --max-shrink is against the proven one before
	run -1 --separate-stderr bkage --now "$NOW" -c 2d --min-count 10 --proofs "$T/proofs" <"$IN"
	assert_output --partial "fewer than 10 proven backups"
	run -0 --separate-stderr bkage --now "$NOW" -c 2d --min-count 10 <"$IN"
	{ head -n 8 "$IN"; line 2026-01-25T03:00:00Z 1000000 s3://b/db/2026-01-25_03-00-00.sql.gz; sed -n 10p "$IN"; } >"$T/shrunk"
	run -1 --separate-stderr bkage --now "$NOW" -c 2d --max-shrink 50 --proofs "$T/proofs" <"$T/shrunk"
	assert_output --partial "98% smaller than the one before"
	# all proven: the newest
	proofs_of .counts <"$IN" >"$T/proofs"
	run -0 --separate-stderr bkage --now "$NOW" --proofs "$T/proofs" <"$IN"
	assert_output "BKAGE OK - newest proven s3://b/db/2026-01-26_03-00-00.sql.gz is 3h12m old, 52.4 MB, 10 proven backups (0 damaged, 0 unproven) | age=11535s;;93600 size=52428800B count=10 damaged=0 unproven=0"
}

@test "health --proofs: a damaged newest backup is CRITICAL and named, though an older proven one is fresh" {
	daily 3 >"$IN"
	proofs_of .counts <"$IN" >"$T/proofs"
	tail -n 1 "$IN" | proofs_of .damaged >>"$T/proofs"
	run -2 --separate-stderr bkage --now "$NOW" -c 2d --proofs "$T/proofs" <"$IN"
	assert_output --partial "BKAGE CRITICAL - newest proven s3://b/db/2026-01-25_03-00-00.sql.gz is 1d03h old, 52.4 MB, 2 proven backups (1 damaged, 0 unproven), s3://b/db/2026-01-26_03-00-00.sql.gz, newer, was found damaged |"
	# a damaged backup older than the newest proven one was set aside: OK
	sed -n 2p "$IN" | proofs_of .damaged >"$T/p2"
	proofs_of .counts <"$IN" >>"$T/p2"
	run -0 --separate-stderr bkage --now "$NOW" --proofs "$T/p2" <"$IN"
	assert_output --partial "BKAGE OK - newest proven s3://b/db/2026-01-26_03-00-00.sql.gz is 3h12m old, 52.4 MB, 2 proven backups (1 damaged, 0 unproven) |"
	# the newest damaged behind an unproven one still is CRITICAL
	{ cat "$IN"; line 2026-01-26T06:00:00Z 52428800 s3://b/db/2026-01-26_06-00-00.sql.gz; } >"$T/in2"
	run -2 --separate-stderr bkage --now "$NOW" -c 2d --proofs "$T/proofs" <"$T/in2"
	assert_output --partial "was found damaged"
	assert_output --partial "s3://b/db/2026-01-26_06-00-00.sql.gz, newer, is unproven (in progress?)"
	# the JSON and the metrics say so
	run -2 --separate-stderr bkage --now "$NOW" -c 2d --proofs "$T/proofs" --format json <"$IN"
	jq -e '.groups[0] | .proven == 2 and .damaged == 1 and .unproven == 0 and
		.newer_damaged.name == "s3://b/db/2026-01-26_03-00-00.sql.gz" and .newest.name == "s3://b/db/2026-01-25_03-00-00.sql.gz"' <<<"$output"
	run -2 --separate-stderr bkage --now "$NOW" -c 2d --proofs "$T/proofs" --format prometheus <"$IN"
	assert_line 'bkpipe_backups_found 3'
	assert_line 'bkpipe_backups_proven 2'
	assert_line 'bkpipe_backups_damaged 1'
	assert_line 'bkpipe_backup_newest_damaged 1'
	assert_line 'bkpipe_backup_status 2'
	if command -v promtool >/dev/null; then promtool check metrics <<<"$output"; fi
}

@test "health --proofs: no proven backup at all is CRITICAL, never OK" {
	daily 3 >"$IN"
	sed -n 1p "$IN" | proofs_of .damaged >"$T/proofs"
	run -2 --separate-stderr bkage --now "$NOW" --proofs "$T/proofs" <"$IN"
	assert_output "BKAGE CRITICAL - no proven backup among 3 listed: 1 damaged, 2 unproven | count=0 damaged=1 unproven=2"
	: >"$T/empty"
	run -2 --separate-stderr bkage --now "$NOW" --proofs "$T/empty" </dev/null
	assert_output --partial "BKAGE CRITICAL - no backups found"
	run -2 --separate-stderr bkage --now "$NOW" --proofs "$T/proofs" --format prometheus <"$IN"
	refute_line --regexp "^bkpipe_backup_last_timestamp_seconds "
	assert_line 'bkpipe_backups_proven 0'
}

@test "--expired and --latest without --proofs or --no-proofs: exit 2 with a message that says so, nothing printed" {
	daily 30 >"$IN"
	run -2 --separate-stderr bkage --now "$NOW" --expired 1d --keep 1 <"$IN"
	assert_output ""
	[[ $stderr == "bkage: --expired needs --proofs FILE"*"or --no-proofs"* ]] || fail "stderr: $stderr"
	run -2 --separate-stderr bkage --now "$NOW" --latest <"$IN"
	assert_output ""
	[[ $stderr == "bkage: --latest needs --proofs FILE"* ]] || fail "stderr: $stderr"
}

@test "--expired --proofs: --keep counts proven backups only; proofs are printed with their backup" {
	# 10 days: day 1-4 proven, 5 damaged, 6 unproven, 7-8 proven, 9 damaged, 10 unproven
	daily 10 >"$IN"
	{
		sed -n '1,4p;7,8p' "$IN" | proofs_of .counts
		sed -n '5p;9p' "$IN" | proofs_of .counts
		sed -n '5p;9p' "$IN" | proofs_of .damaged
	} | sort -t "$(printf '\t')" -k3,3 >"$T/proofs"
	run -0 --separate-stderr bkage --now "$NOW" --expired 0 --keep 3 --proofs "$T/proofs" <"$IN"
	assert_equal "$stderr" ""
	# kept: the 3 newest proven (days 4, 7, 8) and day 10 (unproven, newer than the newest
	# proven); selected: days 1-3 with their .counts, 5 and 9 (damaged) with both proofs,
	# 6 (unproven, older than the newest proven)
	local day want=()
	for day in 1 2 3 5 6 9; do
		want+=("$(sed -n "${day}p" "$IN")")
		case $day in
		5 | 9) want+=("$(sed -n "${day}p" "$IN" | proofs_of .counts)" "$(sed -n "${day}p" "$IN" | proofs_of .damaged)") ;;
		6) ;;
		*) want+=("$(sed -n "${day}p" "$IN" | proofs_of .counts)") ;;
		esac
	done
	assert_equal "$(sort <<<"$output")" "$(printf '%s\n' "${want[@]}" | sort)"
	# each backup's proofs follow it
	assert_equal "$(grep -A1 -F "$(sed -n 1p "$IN")" <<<"$output" | tail -n 1)" "$(sed -n 1p "$IN" | proofs_of .counts)"
	# --keep-daily counts proven days only
	run -0 --separate-stderr bkage --now "$NOW" --expired 0 --keep-daily 2 --proofs "$T/proofs" <"$IN"
	refute_line "$(sed -n 8p "$IN")"
	refute_line "$(sed -n 7p "$IN")"
	assert_line "$(sed -n 4p "$IN")"
	refute_line "$(sed -n 10p "$IN")"
	# unproven and damaged backups younger than --expired are not selected
	run -0 --separate-stderr bkage --now "$NOW" --expired 3d --keep 1 --proofs "$T/proofs" <"$IN"
	refute_line "$(sed -n 9p "$IN")"
	assert_line "$(sed -n 5p "$IN")"
	assert_line "$(sed -n 7p "$IN")"
	# no proven backup at all: no unproven one is selected (any may be in progress)
	sed -n 3p "$IN" | proofs_of .damaged >"$T/damaged"
	run -0 --separate-stderr bkage --now "$NOW" --expired 0 --keep 1 --proofs "$T/damaged" <"$IN"
	assert_output "$(sed -n 3p "$IN")"$'\n'"$(sed -n 3p "$IN" | proofs_of .damaged)"
}

@test "--expired --proofs: the newest proven backup is never selected, whatever the listing and the options (randomized)" {
	local round opts nb newest got
	local -a sets=("--keep 1" "--keep 3" "--keep-daily 1" "--keep-daily 2 --keep-weekly 1"
		"--keep-monthly 1" "--keep 2 --keep-weekly 2" "--keep-weekly 1 --keep-monthly 3")
	for ((round = 0; round < 60; round++)); do
		# up to 25 backups in up to 3 groups, at random times; each proven, damaged,
		# unproven or counted-and-damaged at random, in a random order
		awk -v seed=$round -v T="$T" 'BEGIN { srand(seed); n = 1 + int(rand() * 25)
			for (i = 0; i < n; i++) {
				url = sprintf("s3://b/db%d/k%02d.sql.gz", int(rand() * 3), i)
				p = url; sub("^s3://b/", "s3://b/.proofs/", p)
				t = sprintf("2026-%02d-%02dT%02d:00:00Z", 1 + int(rand() * 2), 1 + int(rand() * 28), int(rand() * 24))
				printf "%s\t1000\t%s\n", t, url > (T "/r")
				s = rand()
				if (s < 0.5 || s > 0.85) printf "%s\t63\t%s.counts\n", t, p > (T "/p")
				if (s > 0.7) printf "%s\t63\t%s.damaged\n", t, p > (T "/p")
			} }'
		touch "$T/p"
		shuf --random-source=<(yes "$round") "$T/r" >"$T/rs"
		opts=${sets[round % ${#sets[@]}]}
		# shellcheck disable=SC2086 # the options are split on purpose
		run -0 --separate-stderr bkage --now 2026-03-01T00:00:00Z --expired 0 $opts --proofs "$T/p" \
			--group-by '^s3://b/(db[0-9])/' <"$T/rs"
		got=$output
		for nb in 0 1 2; do
			# the newest proven of the group: has .counts, no .damaged; by time, then name
			newest=$(grep "/db$nb/" "$T/r" | while IFS=$'\t' read -r t sz url; do
				p=${url/s3:\/\/b\//s3://b/.proofs/}
				grep -qF "$p.counts" "$T/p" && ! grep -qF "$p.damaged" "$T/p" && printf '%s\t%s\t%s\n' "$t" "$sz" "$url"
			done | sort -t $'\t' -k1,1 -k3,3 | tail -n 1)
			[ -z "$newest" ] && continue
			if grep -qxF "$newest" <<<"$got"; then
				fail "round $round ($opts): the newest proven of db$nb was selected: $newest"
			fi
		done
		rm -f "$T/r" "$T/p"
	done
}

@test "--latest: the line of the newest proven backup; none, exit 1 with the counts; --no-proofs: the newest" {
	daily 5 >"$IN"
	sed -n '1,3p' "$IN" | proofs_of .counts >"$T/proofs"
	sed -n 3p "$IN" | proofs_of .damaged >>"$T/proofs"
	run -0 --separate-stderr bkage --now "$NOW" --latest --proofs "$T/proofs" <"$IN"
	assert_output "$(sed -n 2p "$IN")"
	assert_equal "$stderr" ""
	run -0 --separate-stderr bkage --now "$NOW" --latest --no-proofs <"$IN"
	assert_output "$(sed -n 5p "$IN")"
	# shuffled: the same
	tac "$IN" >"$T/rev"
	run -0 --separate-stderr bkage --now "$NOW" --latest --proofs "$T/proofs" <"$T/rev"
	assert_output "$(sed -n 2p "$IN")"
	sed -n 3p "$IN" | proofs_of .damaged >"$T/none"
	run -1 --separate-stderr bkage --now "$NOW" --latest --proofs "$T/none" <"$IN"
	assert_output ""
	assert_equal "$stderr" "bkage: no proven backup among 5 listed: 1 damaged, 4 unproven"
	run -1 --separate-stderr bkage --now "$NOW" --latest --no-proofs </dev/null
	assert_output ""
	run -3 --separate-stderr bkage --latest --no-proofs --group-by '(.*)' </dev/null
	[[ $stderr == *"--latest prints one line, the newest backup: --expired and --group-by do not apply"* ]]
	run -3 --separate-stderr bkage --latest --no-proofs --expired 1d </dev/null
	run -3 --separate-stderr bkage --latest --no-proofs --format json </dev/null
}

# -- memory -----------------------------------------------------------------------

# max_rss_kib ARGS...: bkage's maximum resident set size, in KiB.
max_rss_kib() {
	/usr/bin/time -f %M -o "$T/rss" bkage "$@" >/dev/null 2>&1 || true
	tail -n 1 "$T/rss"
}

@test "1,000,000 input lines: the check's memory stays flat (10,000 vs 1,000,000)" {
	[ -x /usr/bin/time ] || skip "/usr/bin/time (Debian package time) is not installed"
	# Under AddressSanitizer, freed memory waits in a quarantine: not ours.
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0
	local small big
	small=$(max_rss_kib --now 2026-01-26T06:00:00Z "$BATS_FILE_TMPDIR/10k")
	big=$(max_rss_kib --now 2026-01-26T06:00:00Z "$BATS_FILE_TMPDIR/1m")
	echo "# max RSS: $small KiB for 10,000 lines, $big KiB for 1,000,000" >&3
	[ "$big" -le $((small + 1024)) ] || fail "$small KiB for 10,000 lines but $big KiB for 1,000,000"
	run -0 --separate-stderr bkage --now 2026-01-26T06:00:00Z "$BATS_FILE_TMPDIR/1m"
	assert_output 'BKAGE OK - newest s3://bkpipe-test/db/0999999.sql.gz is 16h13m old, 1.0 MB, 1000000 backups | age=58401s;;93600 size=1049575B count=1000000'
}

@test "1,000,000 input lines: retention's memory stays flat, O(--keep)" {
	[ -x /usr/bin/time ] || skip "/usr/bin/time (Debian package time) is not installed"
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0
	local small big n
	small=$(max_rss_kib --no-proofs --now 2026-01-26T06:00:00Z --expired 1d --keep 10 "$BATS_FILE_TMPDIR/10k")
	big=$( (/usr/bin/time -f %M -o "$T/rss" bkage --no-proofs --now 2026-01-26T06:00:00Z --expired 1d --keep 10 \
		"$BATS_FILE_TMPDIR/1m" | wc -l >"$T/count") 2>/dev/null; tail -n 1 "$T/rss")
	n=$(<"$T/count")
	echo "# max RSS: $small KiB for 10,000 lines, $big KiB for 1,000,000" >&3
	[ "$big" -le $((small + 1024)) ] || fail "$small KiB for 10,000 lines but $big KiB for 1,000,000"
	# older than 2026-01-25T06:00:00Z: the first 11 days and 6 hours
	assert_equal "$n" $((11 * 86400 + 6 * 3600))
}

# -- options ----------------------------------------------------------------------

@test "bad option values exit 3 (UNKNOWN) with a message" {
	local bad want n=0
	while IFS='|' read -r bad want; do
		# shellcheck disable=SC2086 # the arguments are split on purpose
		run -3 --separate-stderr bkage $bad </dev/null
		[[ $stderr == *"$want"* ]] || fail "bkage $bad: stderr '$stderr' does not say '$want'"
		n=$((n + 1))
	done <<-'EOF'
		-c abc|--critical abc: expected a duration
		--critical 5x|--critical 5x: unknown unit
		-w 1m1h|--warning 1m1h: units must go from largest to smallest
		--max-skew soon|--max-skew soon:
		--min-size 1Q|--min-size 1Q: unknown unit
		--min-size -1|--min-size -1: expected a number
		--max-shrink 150|--max-shrink 150: expected a percentage from 0 to 100
		--max-shrink abc|--max-shrink abc: expected a percentage
		--min-count x|--min-count x: expected a number
		--keep 0|--keep 0: expected a number of at least 1
		--keep-daily 0|--keep-daily 0: expected a number of at least 1
		--expired 1y|--expired 1y: unknown unit
		--now yesterday|--now yesterday: expected a UTC time
		--format xml|--format xml: expected nagios, prometheus or json
		--match (|--match (:
		--group-by db|--group-by db: needs a group in parentheses
		--bogus|unrecognized option '--bogus'
		-c|option requires an argument
	EOF
	assert_equal "$n" 18
}

@test "negative counts are refused, not taken for huge numbers" {
	run -3 --separate-stderr bkage --min-count -1 </dev/null
	assert_equal "$stderr" 'bkage: --min-count -1: expected a number'
	run -3 --separate-stderr bkage --expired 1d --keep -1 </dev/null
	assert_equal "$stderr" 'bkage: --keep -1: expected a number of at least 1'
}

@test "--max-shrink nan is refused" {
	run -3 --separate-stderr bkage --max-shrink nan </dev/null
	assert_equal "$stderr" 'bkage: --max-shrink nan: expected a percentage from 0 to 100'
}

@test "--help exits 0 with the usage; -V prints the version" {
	run -0 --separate-stderr bkage --help
	assert_line --index 0 'Usage: bkage [options] [FILE...]'
	assert_line --partial '--expired DURATION'
	assert_line 'See bkage(1).'
	assert_equal "$stderr" ""
	run -0 --separate-stderr bkage -h
	run -0 --separate-stderr bkage -V
	assert_output --regexp '^bkage [0-9]+\.[0-9]+\.[0-9]+'
}

# -- the manual -------------------------------------------------------------------

@test "bkage(1) documents every option of --help, and no other" {
	local help man
	help=$(bkage --help | grep -oE -- '--[a-z][a-z-]+' | sort -u)
	man=$(sed -n '/^# OPTIONS/,/^# [A-Z]/p' "$MAN" | grep -E '^\*-' | grep -oE -- '--[a-z][a-z-]+' | sort -u)
	assert_equal "$man" "$help"
}

@test "bkage(1): the Prometheus alert rule passes promtool check rules" {
	command -v promtool >/dev/null || skip "promtool (Debian package prometheus) is not installed"
	man_rules >"$T/rules.yml"
	grep -q 'bkpipe_backup_last_timestamp_seconds' "$T/rules.yml"
	run -0 promtool check rules "$T/rules.yml"
	assert_output --partial 'SUCCESS'
}
