#!/usr/bin/env bats
# pgcount: row counts from a real PostgreSQL 15 database and from plain dumps
# of it, against psql's count(*) on the fixture of tests/lib/fixture.bash.
#
# $D/counts is the oracle: fixture_counts (psql) for the fixture database.
#
# SC2030/SC2031: shellcheck takes each @test for a subshell, and so run's
# $output for lost.
# shellcheck disable=SC2030,SC2031

load lib/common
load lib/pg
load lib/fixture

setup_file() {
	local d=$BATS_FILE_TMPDIR
	pg_start || return 1
	fixture_create fixture || return 1
	fixture_counts fixture >"$d/counts" || return 1
	pg_dump -d fixture >"$d/fixture.sql"
}

teardown_file() {
	pg_stop
}

setup() {
	D=$BATS_FILE_TMPDIR
	T=$BATS_TEST_TMPDIR
	F=$D/fixture.sql
}

# assert_output_file FILE: stdout (of run) is FILE's contents.
assert_output_file() {
	printf '%s\n' "$output" >"$T/got"
	[[ -n $output ]] || : >"$T/got"
	cmp -s "$1" "$T/got" || fail "the counts differ from $1:
$(diff -u "$1" "$T/got" | head -n 40)"
}

# The lines of $D/counts whose table matches the ERE.
counts_matching() {
	grep -E -- "$1" "$D/counts"
}

@test "pgcount: the oracle (psql) holds the fixture's tricky tables" {
	# Guards the oracle against the spec, so that the tests below mean what
	# they say: quoted names, leaf partitions only, ONLY, empty tables.
	run cat "$D/counts"
	assert_line $'public."weird ""quoted"" name"\t3'
	assert_line $'"Sales Data"."Order Items"\t300'
	assert_line $'"MixedCase"."CamelTable"\t2'
	assert_line $'public."user"\t2'
	assert_line $'public."ünïcode"\t2'
	assert_line $'public."dot.name"\t1'
	assert_line $'public.action\t1'
	assert_line $'public.vehicles\t2'
	assert_line $'public.cars\t3'
	assert_line $'public.empty_table\t0'
	assert_line $'archive.old_orders\t0'
	assert_line $'public.scratch\t25'
	assert_line $'public.nocols\t3'
	assert_line $'public.big\t5000'
	assert_line $'public."measurements_2024q2_Other"\t182'
	refute_line --regexp $'^public\\.measurements\t'
	refute_line --regexp $'^public\\.measurements_2024q2\t'
	refute_line --partial 'order_totals'
	refute_line --partial 'user_orders'
	# An extension member and a foreign table: pg_dump dumps no rows of
	# either. The member has rows, and the foreign table's server is down.
	refute_line --partial 'hstore_member'
	refute_line --partial 'remote_things'
	run q 'SELECT count(*) FROM public.hstore_member' fixture
	assert_output 1
}

@test "pgcount: the database's counts are psql's count(*) FROM ONLY of every table and leaf partition" {
	run --separate-stderr pgcount "dbname=fixture"
	assert_status 0
	assert_output_file "$D/counts"
	[ -z "$stderr" ] || fail "not quiet: $stderr"
}

@test "pgcount: with no conninfo it uses the PG* variables, then DATABASE_URL" {
	run --separate-stderr env PGDATABASE=fixture pgcount
	assert_status 0
	assert_output_file "$D/counts"
	run --separate-stderr env -u PGHOST -u PGPORT -u PGUSER -u PGDATABASE \
		DATABASE_URL="postgresql://postgres@127.0.0.1:$PGPORT/fixture" pgcount
	assert_status 0
	assert_output_file "$D/counts"
}

@test "pgcount --dump: the plain dump's counts equal the database's (file and stdin)" {
	run --separate-stderr pgcount --dump "$F"
	assert_status 0
	assert_output_file "$D/counts"
	run --separate-stderr pgcount --dump <"$F"
	assert_status 0
	assert_output_file "$D/counts"
}

@test "pgcount --dump: an --inserts dump counts the same" {
	pg_dump --inserts -d fixture >"$T/dump.sql"
	run --separate-stderr pgcount --dump "$T/dump.sql"
	assert_status 0
	assert_output_file "$D/counts"
}

@test "pgcount --dump: a --rows-per-insert=7 dump counts each row of the multi-row VALUES" {
	pg_dump --rows-per-insert=7 -d fixture >"$T/dump.sql"
	grep -q '^INSERT INTO public.big VALUES' "$T/dump.sql"
	run --separate-stderr pgcount --dump "$T/dump.sql"
	assert_status 0
	assert_output_file "$D/counts"
}

@test "pgcount --dump: a --column-inserts dump counts the same" {
	pg_dump --column-inserts -d fixture >"$T/dump.sql"
	run --separate-stderr pgcount --dump "$T/dump.sql"
	assert_status 0
	assert_output_file "$D/counts"
}

@test "pgcount --dump: a schema-only dump has every table with 0 rows" {
	pg_dump -s -d fixture >"$T/dump.sql"
	awk -F '\t' '{ print $1 "\t0" }' "$D/counts" >"$T/zero"
	run --separate-stderr pgcount --dump "$T/dump.sql"
	assert_status 0
	assert_output_file "$T/zero"
}

@test "pgcount: the output is sorted bytewise on the quoted names, in a UTF-8 locale too" {
	# Sorting the names unquoted would put public."user" after public.action.
	LC_ALL=C sort -c "$D/counts"
	run --separate-stderr env LC_ALL=C.UTF-8 LANG=C.UTF-8 pgcount "dbname=fixture"
	assert_status 0
	assert_output_file "$D/counts"
	printf '%s\n' "$output" | LC_ALL=C sort -c
	run --separate-stderr env LC_ALL=C.UTF-8 LANG=C.UTF-8 pgcount --dump "$F"
	assert_status 0
	assert_output_file "$D/counts"
}

@test "pgcount -t: one table, a quoted one, a pattern; from the database and from the dump" {
	local src
	for src in "dbname=fixture" "--dump $F"; do
		# shellcheck disable=SC2086 # $src is two words for --dump
		run --separate-stderr pgcount -t public.users $src
		assert_status 0
		assert_output $'public.users\t200'

		# shellcheck disable=SC2086
		run --separate-stderr pgcount -t '"Sales Data"."Order Items"' $src
		assert_status 0
		assert_output $'"Sales Data"."Order Items"\t300'

		counts_matching '^public\.("?)measurements' >"$T/want"
		# shellcheck disable=SC2086
		run --separate-stderr pgcount -t 'public.measurements*' $src
		assert_status 0
		assert_output_file "$T/want"

		# shellcheck disable=SC2086
		run --separate-stderr pgcount -t public.users -t public.big $src
		assert_status 0
		assert_output $'public.big\t5000\npublic.users\t200'
	done
}

@test "pgcount -n, -N, -T: schemas and exclusions; from the database and from the dump" {
	local src
	for src in "dbname=fixture" "--dump $F"; do
		counts_matching '^"Sales Data"\.' >"$T/want"
		# shellcheck disable=SC2086
		run --separate-stderr pgcount -n '"Sales Data"' $src
		assert_status 0
		assert_output_file "$T/want"

		grep -v -E '^public\.' "$D/counts" >"$T/want"
		# shellcheck disable=SC2086
		run --separate-stderr pgcount -N public $src
		assert_status 0
		assert_output_file "$T/want"

		grep -v -E $'^public\\.(big|users)\t' "$D/counts" >"$T/want"
		# shellcheck disable=SC2086
		run --separate-stderr pgcount -T public.big -T public.users $src
		assert_status 0
		assert_output_file "$T/want"
	done
}

@test "pgcount --estimate: reltuples, each count marked with ~" {
	local db
	db=$(newdb est fixture)
	q 'ANALYZE' "$db" >/dev/null
	run --separate-stderr pgcount --estimate "dbname=$db"
	assert_status 0
	printf '%s\n' "$output" >"$T/got"
	awk -F '\t' 'NF != 2 || $2 !~ /^~-?[0-9]+$/ { print; bad = 1 } END { exit bad }' "$T/got" ||
		fail "lines that are not SCHEMA.TABLE<TAB>~N: $output"
	cut -f 1 "$T/got" >"$T/names"
	cut -f 1 "$D/counts" >"$T/want"
	cmp -s "$T/want" "$T/names" || fail "other tables than the exact count's: $(diff "$T/want" "$T/names")"
	assert_line $'public.big\t~5000'
	assert_line $'public.users\t~200'
}

@test "pgcount -j 2 and -j 4 count what -j 1 counts" {
	local j
	run --separate-stderr pgcount -j 1 "dbname=fixture"
	assert_status 0
	assert_output_file "$D/counts"
	for j in 2 4; do
		run --separate-stderr pgcount -j "$j" "dbname=fixture"
		assert_status 0
		assert_output_file "$D/counts"
	done
}

@test "pgcount -j 2 under a concurrent writer: one snapshot, the counts always sum to the invariant" {
	local db writer i moves0 moves1 sum j
	db=$(newdb writer fixture)
	q 'CREATE TABLE public.acct_a (id integer PRIMARY KEY);
		CREATE TABLE public.acct_b (id integer PRIMARY KEY);
		INSERT INTO public.acct_a SELECT g FROM generate_series(1, 100000) g;
		CREATE TABLE public.ctl (stop boolean NOT NULL, moves bigint NOT NULL);
		INSERT INTO public.ctl VALUES (false, 0)' "$db" >/dev/null
	# Moves 2000 rows at a time between the two tables, each move one
	# transaction, until told to stop (or 60 s have passed).
	psql -X -q -v ON_ERROR_STOP=1 -d "$db" >"$T/writer.out" 2>&1 3>&- <<-'SQL' &
		DO $$
		DECLARE
			deadline timestamptz := clock_timestamp() + interval '60 s';
			n bigint := 0;
		BEGIN
			WHILE clock_timestamp() < deadline AND NOT (SELECT stop FROM public.ctl) LOOP
				IF n % 2 = 0 THEN
					WITH m AS (DELETE FROM public.acct_a WHERE id IN
						(SELECT id FROM public.acct_a LIMIT 2000) RETURNING id)
					INSERT INTO public.acct_b SELECT id FROM m;
				ELSE
					WITH m AS (DELETE FROM public.acct_b WHERE id IN
						(SELECT id FROM public.acct_b LIMIT 2000) RETURNING id)
					INSERT INTO public.acct_a SELECT id FROM m;
				END IF;
				n := n + 1;
				UPDATE public.ctl SET moves = n;
				COMMIT;
			END LOOP;
		END
		$$;
	SQL
	writer=$!
	for ((i = 0; i < 100; i++)); do
		moves0=$(q 'SELECT moves FROM public.ctl' "$db")
		((moves0 > 0)) && break
		sleep 0.05
	done
	for ((i = 1; i <= 20; i++)); do
		j=$((i % 2 + 1))
		status=0
		pgcount -j "$j" "dbname=$db" >"$T/run$i" 2>"$T/err$i" || status=$?
		[ "$status" -eq 0 ] || break
		sum=$(awk -F '\t' '$1 ~ /^public\.acct_[ab]$/ { s += $2; n++ } END { print (n == 2 ? s : "missing") }' "$T/run$i")
		[ "$sum" = 100000 ] || break
	done
	moves1=$(q 'SELECT moves FROM public.ctl' "$db")
	q 'UPDATE public.ctl SET stop = true' "$db" >/dev/null
	wait "$writer" || fail "the writer failed: $(cat "$T/writer.out")"
	[ "$status" -eq 0 ] || fail "pgcount -j $j exit status $status: $(cat "$T/err$i")"
	[ "$sum" = 100000 ] || fail "run $i (-j $j): acct_a + acct_b = $sum, not 100000: $(grep acct_ "$T/run$i")"
	((moves1 - moves0 >= 5)) || fail "the writer moved rows only $((moves1 - moves0)) times while pgcount ran"
}

@test "pgcount --expect: a difference prints SCHEMA.TABLE EXPECTED ACTUAL and exits 1; a match is silent, exit 0" {
	local db
	db=$(newdb expect fixture)
	run --separate-stderr pgcount --expect "$D/counts" "dbname=$db"
	assert_status 0
	assert_output ''

	q 'DELETE FROM public.big WHERE id <= 3' "$db" >/dev/null
	run --separate-stderr pgcount --expect "$D/counts" "dbname=$db"
	assert_status 1
	assert_output $'public.big\t5000\t4997'
}

@test "pgcount --expect: a table missing on either side is -" {
	local db
	db=$(newdb expect fixture)
	{
		grep -v -E $'^public\\.big\t' "$D/counts"
		printf 'public.gone\t5\n'
	} | LC_ALL=C sort >"$T/expect"
	run --separate-stderr pgcount --expect "$T/expect" "dbname=$db"
	assert_status 1
	assert_line $'public.big\t-\t5000'
	assert_line $'public.gone\t5\t-'
	[ "${#lines[@]}" -eq 2 ] || fail "other lines: $output"
}

@test "pgcount --expect with a count file from --dump validates a restore" {
	pgcount --dump "$F" >"$T/expect"
	run --separate-stderr pgcount --expect "$T/expect" "dbname=fixture"
	assert_status 0
	assert_output ''
}

@test "pgcount --tolerance: differences within N% are not differences; missing tables always are" {
	local db
	db=$(newdb tol fixture)
	q 'DELETE FROM public.big WHERE id <= 100' "$db" >/dev/null	# 2%
	run --separate-stderr pgcount --expect "$D/counts" --tolerance 3% "dbname=$db"
	assert_status 0
	assert_output ''
	run --separate-stderr pgcount --expect "$D/counts" --tolerance 1% "dbname=$db"
	assert_status 1
	assert_output $'public.big\t5000\t4900'

	{ cat "$D/counts"; printf 'public.gone\t5\n'; } | LC_ALL=C sort >"$T/expect"
	run --separate-stderr pgcount --expect "$T/expect" --tolerance 50% "dbname=$db"
	assert_status 1
	assert_output $'public.gone\t5\t-'
}

@test "pgcount --summary: N schemas, N tables, N rows on stderr; the counts on stdout" {
	local schemas tables rows
	schemas=$(perl -ne 'print "$1\n" if /^("(?:[^"]|"")*"|[^".]+)\./' "$D/counts" | sort -u | wc -l)
	tables=$(wc -l <"$D/counts")
	rows=$(awk -F '\t' '{ s += $2 } END { print s }' "$D/counts")
	[ "$schemas" -eq 4 ]
	run --separate-stderr pgcount --summary "dbname=fixture"
	assert_status 0
	assert_output_file "$D/counts"
	[ "$stderr" = "pgcount: $schemas schemas, $tables tables, $rows rows" ] ||
		fail "stderr: $stderr; expected pgcount: $schemas schemas, $tables tables, $rows rows"
	run --separate-stderr pgcount --summary --dump "$F"
	assert_status 0
	[ "$stderr" = "pgcount: $schemas schemas, $tables tables, $rows rows" ] ||
		fail "stderr: $stderr"
}

@test "pgcount --dump: a truncated dump exits 1, at a statement boundary and in a COPY" {
	local n
	n=$(($(grep -n -m 1 -F 'Data for Name: users;' "$F" | cut -d: -f1) - 2))
	head -n "$n" "$F" >"$T/cut.sql"
	run --separate-stderr pgcount --dump "$T/cut.sql"
	assert_status 1
	assert_stderr_has "truncated"

	n=$(($(grep -n -m 1 -F 'COPY public.big ' "$F" | cut -d: -f1) + 2500))
	head -n "$n" "$F" >"$T/cut.sql"
	run --separate-stderr pgcount --dump "$T/cut.sql"
	assert_status 1
	assert_stderr_has "truncated"

	# An --inserts dump cut right after a line like the trailer inside a
	# string literal.
	pg_dump --inserts -d fixture >"$T/inserts.sql"
	n=$(($(grep -n -m 1 -x -F '\! echo pwned' "$T/inserts.sql" | cut -d: -f1) + 1))
	head -n "$n" "$T/inserts.sql" >"$T/cut.sql"
	tail -n 1 "$T/cut.sql" | grep -q -x -- '-- PostgreSQL database dump complete'
	run --separate-stderr pgcount --dump "$T/cut.sql"
	assert_status 1
	assert_stderr_has "truncated"
}

@test "pgcount: an unknown option is exit 2; a server that does not answer is exit 3" {
	local port
	run --separate-stderr pgcount --no-such-option
	assert_status 2
	while :; do
		port=$(((RANDOM * 32768 + RANDOM) % 20000 + 20000))
		(: <"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
	done
	run --separate-stderr pgcount "host=127.0.0.1 port=$port dbname=postgres connect_timeout=5"
	assert_status 3
	assert_stderr_has "pgcount: "
}
