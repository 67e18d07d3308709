#!/usr/bin/env bats
# pgfeed: plain SQL dumps into a real PostgreSQL 15, checked against pg_dump,
# psql and pg_restore on the fixture of tests/lib/fixture.bash.
#
# Databases are made per test, named t_<test number>_<what>, so that
# pg_dumpall --exclude-database='t_*' leaves them out. The fixture dump is
# made once: $D/fixture.sql is pg_dump's output as users pipe it (with its
# \restrict lines), $D/expect.sql the same without them, which is what
# fixture_dump prints for a database that was restored right.
#
# SC2030/SC2031: shellcheck takes each @test for a subshell, and so run's
# $output for lost.
# shellcheck disable=SC2030,SC2031

load lib/common
load lib/pg
load lib/fixture
load lib/gz

setup_file() {
	local d=$BATS_FILE_TMPDIR
	pg_start || return 1
	fixture_create fixture || return 1
	pg_dump -d fixture >"$d/fixture.sql" || return 1
	fixture_unrestrict <"$d/fixture.sql" >"$d/expect.sql" || return 1
	pg_dump -Fc -d fixture >"$d/fixture.dump" || return 1
	psql -X -q -v ON_ERROR_STOP=1 -d postgres -c 'CREATE DATABASE t_0_empty' || return 1
	fixture_dump t_0_empty >"$d/empty.sql"
}

teardown_file() {
	# Servers that tests start are stopped here too in case their test failed.
	pg_stop bare
	pg_stop cluster
	pg_stop cluster_psql
	pg_stop
}

setup() {
	D=$BATS_FILE_TMPDIR
	T=$BATS_TEST_TMPDIR
	F=$D/fixture.sql
}

# assert_err_line [INDEX] TEXT: stderr has the line TEXT (as line INDEX,
# from 0, when given).
assert_err_line() {
	local l
	if (($# == 2)); then
		[[ ${stderr_lines[$1]-} == "$2" ]] || fail "stderr line $1 is not: $2
stderr: $stderr"
		return 0
	fi
	for l in "${stderr_lines[@]}"; do
		[[ $l == "$1" ]] && return 0
	done
	fail "stderr has no line: $1
stderr: $stderr"
}

# assert_dump EXPECTED DB [PG_DUMP_ARGS...]: pg_dump of DB is EXPECTED.
assert_dump() {
	local expected=$1 db=$2 got
	shift 2
	got=$(mktemp "$BATS_TEST_TMPDIR/dump.XXXXXX")
	fixture_dump "$db" "$@" >"$got" || fail "pg_dump of $db failed"
	if ! cmp -s "$expected" "$got"; then
		fail "the dump of $db differs from $expected:
$(diff -u "$expected" "$got" | cut -c 1-200 | head -n 60)"
	fi
}

# assert_same_db DB1 DB2 [PG_DUMP_ARGS...]: the two dump alike.
assert_same_db() {
	local a=$1 b=$2 first
	shift 2
	first=$(mktemp "$BATS_TEST_TMPDIR/dump-$a.XXXXXX")
	fixture_dump "$a" "$@" >"$first" || fail "pg_dump of $a failed"
	assert_dump "$first" "$b" "$@"
}

# offset_of FILE NEEDLE [last]: the byte offset of the first (or last)
# occurrence of NEEDLE in FILE; fails when there is none.
offset_of() {
	NEEDLE=$2 LAST=${3:-} perl -0777 -ne '
		my $i = $ENV{LAST} ? rindex($_, $ENV{NEEDLE}) : index($_, $ENV{NEEDLE});
		die "offset_of: not found: $ENV{NEEDLE}\n" if $i < 0;
		print $i' -- "$1"
}

# line_of FILE STRING: the number of the first line of FILE that holds STRING.
line_of() {
	local n
	n=$(grep -n -m 1 -F -- "$2" "$1" | cut -d: -f1)
	[[ -n $n ]] || { echo "line_of: not found: $2" >&2; return 1; }
	echo "$n"
}

# insert_line FILE N TEXT OUT: FILE with TEXT as a new line N.
insert_line() {
	awk -v n="$2" -v text="$3" 'NR == n { print text } { print }' "$1" >"$4"
}

# A TCP port on 127.0.0.1 where nothing listens.
closed_port() {
	local p
	while :; do
		p=$(((RANDOM * 32768 + RANDOM) % 20000 + 20000))
		(: <"/dev/tcp/127.0.0.1/$p") 2>/dev/null || break
	done
	echo "$p"
}

# assert_error_count N: the last line of stderr is --continue-on-error's
# count of N errors (its wording is not fixed: "N errors", "N statements
# failed").
assert_error_count() {
	local last
	last=$(tail -n 1 <<<"$stderr")
	[[ $last == pgfeed:* && $last =~ (^|[^0-9])$1([^0-9]|$) && $last =~ error|fail ]] ||
		fail "the last line of stderr is not a count of $1 errors: $last
stderr: $stderr"
}

# ---------------------------------------------------------------------------
# Usage

@test "pgfeed: --help prints usage on stdout and exits 0; an unknown option is exit 2" {
	run --separate-stderr pgfeed --help
	assert_status 0
	assert_output --partial "pgfeed"
	assert_output --partial "--single-transaction"
	[ -z "$stderr" ] || fail "stderr: $stderr"

	run --separate-stderr pgfeed --no-such-option
	assert_status 2
	assert_stderr_has "pgfeed: "
	[ -z "$output" ] || fail "stdout: $output"

	run --separate-stderr pgfeed --version
	assert_status 0
	[ -n "$output" ] || fail "--version printed nothing"
}

# ---------------------------------------------------------------------------
# Round trips

@test "pgfeed: round trip of the fixture is identical to pg_dump, silent on success" {
	local db
	db=$(newdb rt)
	run --separate-stderr pgfeed "dbname=$db" <"$F"
	assert_status 0
	[ -z "$output" ] || fail "stdout is not empty: ${output:0:500}"
	[ -z "$stderr" ] || fail "stderr is not empty: $stderr"
	assert_dump "$D/expect.sql" "$db"
}

# roundtrip PG_DUMP_ARGS...: a dump of the fixture with these options
# restores into an empty database that dumps like the fixture.
roundtrip() {
	local db
	db=$(newdb rt)
	pg_dump "$@" -d fixture >"$T/dump.sql"
	run --separate-stderr pgfeed -f "$T/dump.sql" "dbname=$db"
	assert_status 0
	assert_dump "$D/expect.sql" "$db"
}

@test "pgfeed: round trip of an --inserts dump is identical" {
	roundtrip --inserts
}

@test "pgfeed: round trip of a --rows-per-insert=7 dump is identical" {
	roundtrip --rows-per-insert=7
}

@test "pgfeed: round trip of a --column-inserts dump is identical" {
	roundtrip --column-inserts
}

@test "pgfeed -1: the whole fixture restores in one transaction, identical" {
	local db
	db=$(newdb one)
	run --separate-stderr pgfeed -1 -f "$F" "dbname=$db"
	assert_status 0
	assert_dump "$D/expect.sql" "$db"
}

@test "pgfeed: the database psql makes from the fixture dump and the one pgfeed makes dump identically" {
	local a b
	a=$(newdb psql)
	b=$(newdb pgfeed)
	psql -X -q -v ON_ERROR_STOP=1 -d "$a" -f "$F" >/dev/null
	run --separate-stderr pgfeed -f "$F" "dbname=$b"
	assert_status 0
	assert_same_db "$a" "$b"
}

@test "pgfeed: an ordinary psql script (E'' and U&'' strings, nested comments, dollar quotes, inline COPY, rules) runs as psql runs it" {
	local a b
	a=$(newdb psql)
	b=$(newdb pgfeed)
	psql -X -q -v ON_ERROR_STOP=1 -d "$a" -f "$TESTS_DIR/data/sql/tricky.sql" >/dev/null
	run --separate-stderr pgfeed -f "$TESTS_DIR/data/sql/tricky.sql" "dbname=$b"
	assert_status 0
	[ -z "$output" ] || fail "a SELECT's result reached stdout: $output"
	assert_same_db "$a" "$b"
	run q 'SELECT count(*) FROM t1' "$b"
	assert_output 17
}

@test "pgfeed: a pg_dump -C dump fed to the postgres database creates the database and connects to it" {
	local name="t_${BATS_TEST_NUMBER}_created"
	fixture_create "$name"
	psql -X -q -v ON_ERROR_STOP=1 -d postgres \
		-c "ALTER DATABASE $name SET work_mem = '8MB'" \
		-c "COMMENT ON DATABASE $name IS 'made by -C; twice'"
	pg_dump -C -d "$name" >"$T/create.sql"
	fixture_dump "$name" -C >"$T/expect.sql"
	psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "DROP DATABASE $name"

	run --separate-stderr pgfeed -f "$T/create.sql" "dbname=postgres"
	assert_status 0
	assert_dump "$T/expect.sql" "$name" -C
	# Nothing landed in the database pgfeed connected to first.
	run q "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace" postgres
	assert_output 0
}

@test "pgfeed: a pg_dump -C dump of a database whose name needs quoting (\\connect \"dbname='...'\")" {
	local name="t_${BATS_TEST_NUMBER} Create-Test"
	fixture_create "$name"
	pg_dump -C -d "$name" >"$T/create.sql"
	grep -q -F "\\connect -reuse-previous=on \"dbname='$name'\"" "$T/create.sql" ||
		fail "pg_dump wrote no quoted \\connect; the test needs one"
	fixture_dump "$name" -C >"$T/expect.sql"
	psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "DROP DATABASE \"$name\""

	run --separate-stderr pgfeed -f "$T/create.sql" "dbname=postgres"
	assert_status 0
	assert_dump "$T/expect.sql" "$name" -C
}

@test "pgfeed: a pg_dumpall script restores the cluster; its one error (role postgres exists) is the one psql makes too" {
	local psql_errors role_line
	pg_dumpall --exclude-database='t_*' >"$T/all.sql"
	role_line=$(line_of "$T/all.sql" 'CREATE ROLE postgres;')

	# psql, the oracle: how many errors a restore into a fresh server makes.
	pg_start cluster_psql
	psql -X -q -d postgres -f "$T/all.sql" >/dev/null 2>"$T/psql.err"
	psql_errors=$(grep -c 'ERROR:' "$T/psql.err" || true)
	fixture_dumpall --exclude-database='t_*' >"$T/psql-all.sql"
	pg_stop cluster_psql
	[ "$psql_errors" -eq 1 ] || fail "psql made $psql_errors errors: $(cat "$T/psql.err")"

	pg_start cluster
	run --separate-stderr pgfeed --continue-on-error -f "$T/all.sql" "dbname=postgres"
	fixture_dumpall --exclude-database='t_*' >"$T/pgfeed-all.sql"
	pg_stop cluster
	pg_use main

	assert_status 1
	[ "$(grep -c '^pgfeed: line [0-9]*.*: ERROR ' <<<"$stderr")" -eq "$psql_errors" ] ||
		fail "pgfeed's errors are not psql's $psql_errors: $stderr"
	assert_stderr_has "pgfeed: line $role_line: ERROR 42710: role \"postgres\" already exists"
	assert_error_count 1
	diff -u "$T/psql-all.sql" "$T/pgfeed-all.sql" | head -n 60 >"$T/diff" || true
	[ ! -s "$T/diff" ] || fail "the clusters differ: $(cut -c 1-200 "$T/diff")"
	# And both are the cluster that was dumped.
	fixture_dumpall --exclude-database='t_*' >"$T/source-all.sql"
	cmp -s "$T/source-all.sql" "$T/pgfeed-all.sql" ||
		fail "the restored cluster differs from the source: $(diff -u "$T/source-all.sql" "$T/pgfeed-all.sql" | cut -c 1-200 | head -n 40)"
}

# ---------------------------------------------------------------------------
# Truncated dumps

@test "pgfeed: a pg_dumpall script cut before the cluster trailer is truncated, though every database in it is complete" {
	local n
	pg_dumpall --exclude-database='t_*' >"$T/all.sql"
	n=$(($(line_of "$T/all.sql" '-- PostgreSQL database cluster dump complete') - 2))
	head -n "$n" "$T/all.sql" >"$T/cut.sql"
	# template1, fixture and postgres, each with its trailer (and one more
	# such line in a function body of the fixture).
	[ "$(grep -c -x -- '-- PostgreSQL database dump complete' "$T/cut.sql")" -eq 4 ] ||
		fail "the cut dump does not hold three complete database dumps"
	pg_start cluster
	run --separate-stderr pgfeed --continue-on-error -f "$T/cut.sql" "dbname=postgres"
	pg_stop cluster
	pg_use main
	assert_status 1
	assert_stderr_has "truncated"
	assert_stderr_has "cluster dump complete"
}

@test "pgfeed -1: a dump cut at twenty points exits 1 and commits nothing" {
	local db label off c copyline
	db=$(newdb cut)
	copyline=$(grep -m 1 '^COPY public\.big ' "$F")
	local -a cuts=(
		"after the header comment|$(offset_of "$F" '\restrict ')"
		"after the \\restrict line|$(offset_of "$F" '-- Dumped from')"
		"in a SET statement|$(($(offset_of "$F" 'SET lock_timeout') + 6))"
		"in CREATE SCHEMA|$(($(offset_of "$F" 'CREATE SCHEMA "MixedCase"') + 16))"
		"in a comment string, after its semicolon|$(($(offset_of "$F" 'sales; with') + 6))"
		"in a function body, after a semicolon|$(($(offset_of "$F" 'semi; colon') + 5))"
		"in a function body, after a line \\.|$(($(offset_of "$F" $'\n\\.\n\\! echo not') + 4))"
		"in a function body, after a line like the trailer|$(($(offset_of "$F" $'-- PostgreSQL database dump complete\n\';') + 37))"
		"in a BEGIN ATOMIC body|$(($(offset_of "$F" ' SELECT (a * 2);') + 16))"
		"in CREATE TABLE|$(($(offset_of "$F" 'CREATE TABLE public.users (') + 35))"
		"right after COPY ... FROM stdin|$(($(offset_of "$F" "$copyline") + ${#copyline} + 1))"
		"in a COPY row|$(($(offset_of "$F" $'\n2500\trow 2500\t') + 9))"
		"between two COPY rows|$(($(offset_of "$F" $'\n2501\trow 2501\t') + 1))"
		"inside a UTF-8 character of a COPY row|$(($(offset_of "$F" 'ünïcödé ✓') + 1))"
		"right after a COPY's \\.|$(($(offset_of "$F" $'\\.\n\n\n--\n-- Data for Name: cars') + 3))"
		"in the large object's data|$(($(offset_of "$F" 'SELECT pg_catalog.lowrite(0, ') + 35))"
		"in a post-data constraint|$(($(offset_of "$F" $'ALTER TABLE ONLY public.users\n    ADD CONSTRAINT users_pkey') + 40))"
		"in CREATE POLICY|$(($(offset_of "$F" 'CREATE POLICY documents_own') + 10))"
		"in a GRANT|$(($(offset_of "$F" 'GRANT SELECT ON TABLE public.users TO fixture_reader') + 20))"
		"in REFRESH MATERIALIZED VIEW|$(($(offset_of "$F" 'REFRESH MATERIALIZED VIEW public.order_totals') + 10))"
		"just before the trailer|$(offset_of "$F" $'--\n-- PostgreSQL database dump complete\n' last)"
		"in the trailer line|$(($(offset_of "$F" '-- PostgreSQL database dump complete' last) + 20))"
	)
	[ "${#cuts[@]}" -ge 20 ]
	for c in "${cuts[@]}"; do
		label=${c%|*}
		off=${c##*|}
		[[ $off =~ ^[0-9]+$ ]] && ((off > 0)) || fail "cut $label: no offset (the fixture changed?)"
		head -c "$off" "$F" >"$T/cut.sql"
		run --separate-stderr pgfeed -1 -f "$T/cut.sql" "dbname=$db"
		[ "$status" -eq 1 ] ||
			fail "cut $label (at byte $off): exit status $status, expected 1; stderr: $stderr"
		fixture_dump "$db" >"$T/after.sql"
		cmp -s "$D/empty.sql" "$T/after.sql" ||
			fail "cut $label (at byte $off): something was committed: $(diff -u "$D/empty.sql" "$T/after.sql" | cut -c 1-200 | head -n 30)"
	done
}

@test "pgfeed: a truncated dump without -1 exits 1 with the truncated message naming its last line" {
	local db n
	db=$(newdb trunc)
	n=$(($(line_of "$F" 'Data for Name: users;') - 2))
	head -n "$n" "$F" >"$T/cut.sql"
	run --separate-stderr pgfeed "dbname=$db" <"$T/cut.sql"
	assert_status 1
	# The input's name may come first, as in the not-SQL messages ("stdin: ").
	[[ $'\n'$stderr$'\n' =~ $'\n'"pgfeed: "([^:$'\n']+": ")?"input is truncated: no \"-- PostgreSQL database dump complete\" trailer after line $n"$'\n' ]] ||
		fail "no line 'pgfeed: input is truncated: no \"-- PostgreSQL database dump complete\" trailer after line $n'
stderr: $stderr"
}

@test "pgfeed: a cut right after a trailer-like line inside a function body or a string literal is still truncated" {
	local db off
	db=$(newdb fn)
	off=$(($(offset_of "$F" $'-- PostgreSQL database dump complete\n\';') + 37))
	head -c "$off" "$F" >"$T/cut.sql"
	run --separate-stderr pgfeed -f "$T/cut.sql" "dbname=$db"
	assert_status 1
	assert_stderr_has "input is truncated"

	# In an --inserts dump, the line is inside a string literal of alltypes.
	db=$(newdb str)
	pg_dump --inserts -d fixture >"$T/inserts.sql"
	off=$(($(offset_of "$T/inserts.sql" $'\\! echo pwned\n-- PostgreSQL database dump complete\n') + 51))
	head -c "$off" "$T/inserts.sql" >"$T/cut.sql"
	tail -n 1 "$T/cut.sql" | grep -qx -- '-- PostgreSQL database dump complete'
	run --separate-stderr pgfeed -f "$T/cut.sql" "dbname=$db"
	assert_status 1
	assert_stderr_has "input is truncated"
}

# ---------------------------------------------------------------------------
# Errors

@test "pgfeed: a COPY row that breaks a CHECK constraint stops with the line, the entry, SQLSTATE, DETAIL and the row's input line" {
	local db copy
	db=$(newdb check)
	copy=$(line_of "$F" 'COPY public.orders (')
	# The third row gets a negative amount (the 4th column).
	awk -v n=$((copy + 3)) 'BEGIN { FS = OFS = "\t" } NR == n { $4 = "-1.00" } { print }' "$F" >"$T/bad.sql"
	run --separate-stderr pgfeed -f "$T/bad.sql" "dbname=$db"
	assert_status 1
	assert_err_line 0 "pgfeed: line $copy (TABLE DATA public.orders): ERROR 23514: new row for relation \"orders\" violates check constraint \"orders_amount_check\""
	assert_stderr_has $'\npgfeed: DETAIL: Failing row contains ('
	[[ $'\n'$stderr$'\n' == *$'\n'"pgfeed: COPY data line $((copy + 3))"$'\n'* ]] ||
		fail "no line 'pgfeed: COPY data line $((copy + 3))'; stderr: $stderr"
	# The first error stops: the data after it did not load.
	run q 'SELECT count(*) FROM public.users' "$db"
	assert_output 0
}

@test "pgfeed: a duplicate row in COPY data fails at the post-data constraint, reported with its entry and DETAIL" {
	local db copy n
	db=$(newdb dup)
	copy=$(line_of "$F" 'COPY public.users (')
	# The first row of users twice.
	awk -v n=$((copy + 1)) 'NR == n { row = $0 } { print } NR == n { print row }' "$F" >"$T/bad.sql"
	n=$(($(line_of "$T/bad.sql" 'ADD CONSTRAINT users_email_key') - 1))
	run --separate-stderr pgfeed -f "$T/bad.sql" "dbname=$db"
	assert_status 1
	assert_err_line 0 "pgfeed: line $n (CONSTRAINT public.users users_email_key): ERROR 23505: could not create unique index \"users_email_key\""
	assert_err_line 1 "pgfeed: DETAIL: Key (email)=(user1@example.com) is duplicated."
}

@test "pgfeed -1: an SQL error in the middle rolls back everything before it" {
	local db copy
	db=$(newdb check1)
	copy=$(line_of "$F" 'COPY public.orders (')
	awk -v n=$((copy + 3)) 'BEGIN { FS = OFS = "\t" } NR == n { $4 = "-1.00" } { print }' "$F" >"$T/bad.sql"
	run --separate-stderr pgfeed -1 -f "$T/bad.sql" "dbname=$db"
	assert_status 1
	assert_stderr_has "ERROR 23514"
	assert_dump "$D/empty.sql" "$db"
}

@test "pgfeed -a -t: a duplicate key reports (TABLE DATA public.users), ERROR 23505, DETAIL and the COPY data line" {
	local db copy
	db=$(newdb dup fixture)
	copy=$(line_of "$F" 'COPY public.users (')
	run --separate-stderr pgfeed -a -t public.users -f "$F" "dbname=$db"
	assert_status 1
	assert_err_line 0 "pgfeed: line $copy (TABLE DATA public.users): ERROR 23505: duplicate key value violates unique constraint \"users_pkey\""
	assert_err_line 1 "pgfeed: DETAIL: Key (id)=(1) already exists."
	[[ $'\n'$stderr$'\n' == *$'\n'"pgfeed: COPY data line $((copy + 1))"$'\n'* ]] ||
		fail "no line 'pgfeed: COPY data line $((copy + 1))'; stderr: $stderr"
}

@test "pgfeed: a bad statement at a known line is reported with that line, its TOC entry and the server's HINT" {
	local db n
	db=$(newdb bad)
	n=$(line_of "$F" 'ALTER TABLE public.big OWNER TO')
	insert_line "$F" "$n" 'SELECT no_such_function(1);' "$T/bad.sql"
	run --separate-stderr pgfeed -f "$T/bad.sql" "dbname=$db"
	assert_status 1
	assert_err_line 0 "pgfeed: line $n (TABLE public.big): ERROR 42883: function no_such_function(integer) does not exist"
	assert_err_line 1 "pgfeed: HINT: No function matches the given name and argument types. You might need to add explicit type casts."
	# What came before ran, nothing after did.
	run q "SELECT to_regclass('public.big') IS NOT NULL, to_regclass('public.cars') IS NULL" "$db"
	assert_output 't|t'
}

@test "pgfeed: an error before the first TOC entry is reported without an entry" {
	local db n
	db=$(newdb early)
	n=$(line_of "$F" 'SET lock_timeout = 0;')
	sed "${n}s/.*/SET lock_timeout = 'soon';/" "$F" >"$T/bad.sql"
	run --separate-stderr pgfeed -f "$T/bad.sql" "dbname=$db"
	assert_status 1
	assert_err_line 0 "pgfeed: line $n: ERROR 22023: invalid value for parameter \"lock_timeout\": \"soon\""
}

@test "pgfeed: an error inside the script's own BEGIN ... COMMIT is reported at its line with its SQLSTATE; nothing of it commits" {
	local db
	db=$(newdb txn)
	printf '%s\n' 'CREATE TABLE t (x integer);' 'BEGIN;' 'INSERT INTO t VALUES (1);' \
		'SELECT 1 / 0;' 'INSERT INTO t VALUES (2);' 'COMMIT;' 'CREATE TABLE after_txn (x integer);' >"$T/txn.sql"
	run --separate-stderr pgfeed -f "$T/txn.sql" "dbname=$db"
	assert_status 1
	assert_err_line 0 "pgfeed: line 4: ERROR 22012: division by zero"
	run q "SELECT (SELECT count(*) FROM t), to_regclass('public.after_txn') IS NULL" "$db"
	assert_output '0|t'
}

@test "pgfeed --continue-on-error: goes on after each error, reports each, exits 1 with the count" {
	local db a b
	db=$(newdb goon)
	a=$(line_of "$F" 'ALTER TABLE public.big OWNER TO')
	b=$(line_of "$F" 'REFRESH MATERIALIZED VIEW public.order_totals')
	insert_line "$F" "$b" 'SELECT 1 / 0;' "$T/one.sql"
	insert_line "$T/one.sql" "$a" 'SELECT 2 / 0;' "$T/bad.sql"
	run --separate-stderr pgfeed --continue-on-error -f "$T/bad.sql" "dbname=$db"
	assert_status 1
	assert_err_line "pgfeed: line $a (TABLE public.big): ERROR 22012: division by zero"
	assert_err_line "pgfeed: line $((b + 1)) (MATERIALIZED VIEW DATA public.order_totals): ERROR 22012: division by zero"
	assert_error_count 2
	# Everything else ran.
	assert_dump "$D/expect.sql" "$db"
}

# ---------------------------------------------------------------------------
# Selecting entries, against pg_restore on a custom-format dump of the same
# database

# vs_pg_restore "PGFEED_ARGS" "PG_RESTORE_ARGS" [SETUP_SQL]: pgfeed with
# PGFEED_ARGS on the plain dump and pg_restore with PG_RESTORE_ARGS on the
# custom one, each into an empty database (after SETUP_SQL), make databases
# that dump alike. The arguments are split on blanks.
vs_pg_restore() {
	local a b
	local -a feed_args restore_args
	read -ra feed_args <<<"$1"
	read -ra restore_args <<<"$2"
	a=$(newdb pg_restore)
	b=$(newdb pgfeed)
	if [[ -n ${3:-} ]]; then
		q "$3" "$a" >/dev/null
		q "$3" "$b" >/dev/null
	fi
	pg_restore -e -d "$a" "${restore_args[@]}" "$D/fixture.dump" ||
		fail "the oracle failed: pg_restore $2"
	run --separate-stderr pgfeed "${feed_args[@]}" -f "$F" "dbname=$b"
	assert_status 0
	assert_same_db "$a" "$b"
}

@test "pgfeed -t public.big restores what pg_restore -n public -t big restores" {
	vs_pg_restore "-t public.big" "-n public -t big"
}

@test "pgfeed -t big (no schema) restores what pg_restore -t big restores" {
	vs_pg_restore "-t big" "-t big"
}

@test "pgfeed -t with a * pattern restores what pg_restore restores for the tables it matches" {
	vs_pg_restore "-t public.measurements_2024q2_*" \
		"-n public -t measurements_2024q2_eu -t measurements_2024q2_Other"
}

@test "pgfeed -t with a ? pattern matches one character" {
	vs_pg_restore "-t public.measurements_2024q?" \
		"-n public -t measurements_2024q1 -t measurements_2024q2"
}

@test "pgfeed -t with a quoted schema and table restores what pg_restore -n -t restores" {
	local a b
	a=$(newdb pg_restore)
	b=$(newdb pgfeed)
	q 'CREATE SCHEMA "Sales Data"' "$a" >/dev/null
	q 'CREATE SCHEMA "Sales Data"' "$b" >/dev/null
	pg_restore -e -d "$a" -n 'Sales Data' -t 'Order Items' "$D/fixture.dump"
	run --separate-stderr pgfeed -t '"Sales Data"."Order Items"' -f "$F" "dbname=$b"
	assert_status 0
	assert_same_db "$a" "$b"
	run q 'SELECT count(*) FROM "Sales Data"."Order Items"' "$b"
	assert_output 300
}

@test "pgfeed -n restores what pg_restore -n restores" {
	vs_pg_restore '-n "MixedCase"' "-n MixedCase" 'CREATE SCHEMA "MixedCase"'
}

@test "pgfeed -N leaves out what pg_restore -N leaves out" {
	vs_pg_restore '-N "MixedCase" -N archive' "-N MixedCase -N archive"
}

@test "pgfeed -T leaves out one table: as if it were dropped after a full restore" {
	local a b
	a=$(newdb full)
	b=$(newdb pgfeed)
	psql -X -q -v ON_ERROR_STOP=1 -d "$a" -f "$F" >/dev/null
	q 'DROP TABLE public.scratch' "$a" >/dev/null
	run --separate-stderr pgfeed -T public.scratch -f "$F" "dbname=$b"
	assert_status 0
	assert_same_db "$a" "$b"
}

@test "pgfeed -s restores what pg_restore -s restores" {
	vs_pg_restore "-s" "-s"
}

@test "pgfeed -a --disable-triggers into the schema restores what pg_restore -a --disable-triggers restores" {
	local a b
	a=$(newdb pg_restore)
	b=$(newdb pgfeed)
	pg_dump -s -d fixture >"$T/schema.sql"
	psql -X -q -v ON_ERROR_STOP=1 -d "$a" -f "$T/schema.sql" >/dev/null
	psql -X -q -v ON_ERROR_STOP=1 -d "$b" -f "$T/schema.sql" >/dev/null
	pg_restore -e -d "$a" -a --disable-triggers "$D/fixture.dump"
	run --separate-stderr pgfeed -a --disable-triggers -f "$F" "dbname=$b"
	assert_status 0
	assert_same_db "$a" "$b"
}

@test "pgfeed --section restores section by section what pg_restore --section restores" {
	local a b s
	a=$(newdb pg_restore)
	b=$(newdb pgfeed)
	for s in pre-data data post-data; do
		pg_restore -e -d "$a" --section="$s" "$D/fixture.dump"
		run --separate-stderr pgfeed --section="$s" -f "$F" "dbname=$b"
		assert_status 0
		assert_same_db "$a" "$b"
	done
	# The three sections make the whole.
	assert_dump "$D/expect.sql" "$b"
}

@test "pgfeed -t --with-indexes also restores the table's constraints and indexes" {
	local db
	db=$(newdb plain)
	run --separate-stderr pgfeed -t public.big -f "$F" "dbname=$db"
	assert_status 0
	run q "SELECT count(*) FROM pg_constraint WHERE conrelid = 'public.big'::regclass" "$db"
	assert_output 0

	db=$(newdb with)
	run --separate-stderr pgfeed -t public.big --with-indexes -f "$F" "dbname=$db"
	assert_status 0
	run q "SELECT conname FROM pg_constraint WHERE conrelid = 'public.big'::regclass" "$db"
	assert_output big_pkey
	run q 'SELECT count(*) FROM public.big' "$db"
	assert_output 5000
}

# ---------------------------------------------------------------------------
# --into

@test "pgfeed -t public.users --into users_restored: the dump's rows next to the live table, which is untouched" {
	local db
	db=$(newdb into fixture)
	q "UPDATE public.users SET name = 'changed' WHERE id <= 10;
		INSERT INTO public.users VALUES (1000, 'new@example.com', 'new', 'happy', now())" "$db" >/dev/null
	q 'SELECT * FROM public.users ORDER BY id' "$db" >"$T/live"
	q 'SELECT * FROM public.users ORDER BY id' fixture >"$T/old"

	run --separate-stderr pgfeed -t public.users --into users_restored -f "$F" "dbname=$db"
	assert_status 0
	q 'SELECT * FROM public.users_restored ORDER BY id' "$db" >"$T/restored"
	cmp -s "$T/old" "$T/restored" || fail "users_restored does not hold the dump's rows: $(diff "$T/old" "$T/restored" | head)"
	q 'SELECT * FROM public.users ORDER BY id' "$db" >"$T/after"
	cmp -s "$T/live" "$T/after" || fail "the live table changed: $(diff "$T/live" "$T/after" | head)"
	run q 'SELECT count(*) FROM public.users' "$db"
	assert_output 201
}

@test "pgfeed --into SCHEMA.NAME restores the table into another schema" {
	local db
	db=$(newdb into fixture)
	q 'SELECT * FROM public.users ORDER BY id' fixture >"$T/old"
	run --separate-stderr pgfeed -t public.users --into archive.users_old -f "$F" "dbname=$db"
	assert_status 0
	q 'SELECT * FROM archive.users_old ORDER BY id' "$db" >"$T/restored"
	cmp -s "$T/old" "$T/restored" || fail "archive.users_old does not hold the dump's rows"
	run q "SELECT to_regclass('public.users_old') IS NULL" "$db"
	assert_output t
}

@test "pgfeed -a --into loads the rows into an existing table" {
	local db
	db=$(newdb into fixture)
	q 'CREATE TABLE public.users_copy (LIKE public.users INCLUDING ALL)' "$db" >/dev/null
	q 'SELECT * FROM public.users ORDER BY id' fixture >"$T/old"
	run --separate-stderr pgfeed -a -t public.users --into users_copy -f "$F" "dbname=$db"
	assert_status 0
	q 'SELECT * FROM public.users_copy ORDER BY id' "$db" >"$T/restored"
	cmp -s "$T/old" "$T/restored" || fail "users_copy does not hold the dump's rows"
	run q 'SELECT count(*) FROM public.users' "$db"
	assert_output 200
}

@test "pgfeed --into with two tables selected, or none, is a usage error (exit 2) and runs nothing" {
	local db
	db=$(newdb into)
	run --separate-stderr pgfeed -t public.users -t public.orders --into x -f "$F" "dbname=$db"
	assert_status 2
	assert_stderr_has "pgfeed: "
	run --separate-stderr pgfeed --into x -f "$F" "dbname=$db"
	assert_status 2
	assert_dump "$D/empty.sql" "$db"
}

# ---------------------------------------------------------------------------
# --emit and -l: no server needed

@test "pgfeed --emit writes the selected SQL to stdout without a server, and psql runs it to the same table" {
	local port a b
	port=$(closed_port)
	PGHOST=127.0.0.1 PGPORT=$port DATABASE_URL="postgresql://nobody@127.0.0.1:$port/none" \
		pgfeed --emit -t public.big -f "$F" >"$T/emitted.sql" 2>"$T/err" ||
		fail "pgfeed --emit failed: $(cat "$T/err")"
	grep -q 'CREATE TABLE public.big' "$T/emitted.sql" || fail "no CREATE TABLE public.big in --emit's output"
	! grep -q 'CREATE TABLE public.users' "$T/emitted.sql" || fail "--emit -t big wrote other tables"

	a=$(newdb psql)
	b=$(newdb pgfeed)
	psql -X -q -v ON_ERROR_STOP=1 -d "$a" -f "$T/emitted.sql" >/dev/null
	run --separate-stderr pgfeed -t public.big -f "$F" "dbname=$b"
	assert_status 0
	assert_same_db "$a" "$b"
}

@test "pgfeed --emit of the whole dump, run by psql, makes the fixture" {
	local db
	env -u PGHOST -u PGPORT -u PGUSER -u PGDATABASE -u DATABASE_URL \
		pgfeed --emit -f "$F" >"$T/emitted.sql" 2>"$T/err" ||
		fail "pgfeed --emit failed: $(cat "$T/err")"
	db=$(newdb emit)
	psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$T/emitted.sql" >/dev/null
	assert_dump "$D/expect.sql" "$db"
}

@test "pgfeed --emit --into writes the rewritten SQL: psql makes the renamed table from it" {
	local db
	env -u PGHOST -u PGPORT -u PGUSER -u PGDATABASE -u DATABASE_URL \
		pgfeed --emit -t public.users --into users_restored -f "$F" >"$T/emitted.sql" 2>"$T/err" ||
		fail "pgfeed --emit failed: $(cat "$T/err")"
	db=$(newdb emit fixture)
	psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$T/emitted.sql" >/dev/null
	run q 'SELECT count(*) FROM public.users_restored' "$db"
	assert_output 200
}

# toc_of DUMP: the TOC entries of DUMP's comments as ID TYPE SCHEMA NAME OWNER LINE.
toc_of() {
	perl -ne 'if (/^-- (?:Data for )?Name: (.*); Type: (.*); Schema: (.*); Owner: (.*)$/) {
		print join("\t", ++$n, $2, $3, $1, $4, $.), "\n" }' -- "$1"
}

@test "pgfeed -l lists every TOC entry in input order: ID, TYPE, SCHEMA, NAME, OWNER, LINE; runs nothing" {
	local db
	db=$(newdb list)
	toc_of "$F" >"$T/toc"
	[ "$(wc -l <"$T/toc")" -eq "$(grep -c -E '^-- (Data for )?Name: ' "$F")" ]
	run --separate-stderr pgfeed -l -f "$F" "dbname=$db"
	assert_status 0
	printf '%s\n' "$output" >"$T/list"
	[ "$(wc -l <"$T/list")" -eq "$(wc -l <"$T/toc")" ] ||
		fail "$(wc -l <"$T/list") lines for $(wc -l <"$T/toc") entries"
	awk -F '\t' 'NF != 6 { print; bad = 1 } END { exit bad }' "$T/list" ||
		fail "lines without 6 fields"
	cut -f 1-5 "$T/toc" >"$T/want"
	cut -f 1-5 "$T/list" >"$T/got"
	cmp -s "$T/want" "$T/got" || fail "the entries differ: $(diff -u "$T/want" "$T/got" | head -n 40)"
	# LINE is where the entry is: within its comment block, up to its first statement.
	paste <(cut -f 6 "$T/toc") <(cut -f 6 "$T/list") |
		awk -F '\t' '$2 !~ /^[0-9]+$/ || $2 < $1 - 1 || $2 > $1 + 3 { print; bad = 1 } END { exit bad }' ||
		fail "a LINE is not that of its entry"
	grep -q -P '^\d+\tTABLE\tpublic\tusers\tpostgres\t\d+$' "$T/list" || fail "no line for TABLE public.users"
	grep -q -P '^\d+\tBLOBS\t-\tBLOBS\t-\t\d+$' "$T/list" || fail "no line for the BLOBS"
	assert_dump "$D/empty.sql" "$db"
}

@test "pgfeed -l ignores comment-like lines inside string literals (--inserts dump)" {
	pg_dump --inserts -d fixture >"$T/inserts.sql"
	grep -q -x -- '-- Name: fake; Type: TABLE; Schema: public; Owner: nobody' "$T/inserts.sql" ||
		fail "the --inserts dump lacks the fake entry line the test needs"
	run --separate-stderr env -u PGHOST -u PGPORT -u PGUSER -u PGDATABASE pgfeed -l -f "$T/inserts.sql"
	assert_status 0
	toc_of "$F" | cut -f 1-5 >"$T/want"
	printf '%s\n' "$output" | cut -f 1-5 >"$T/got"
	cmp -s "$T/want" "$T/got" || fail "the entries differ: $(diff -u "$T/want" "$T/got" | head -n 20)"
}

# ---------------------------------------------------------------------------
# Owners, privileges, existing tables

@test "pgfeed -O -x restores into a server without the fixture's roles, where psql fails" {
	local db
	pg_start bare
	run q "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'fixture%' OR rolname = 'Fixture Auditor'" postgres
	assert_output 0
	db=$(newdb psql)
	run --separate-stderr psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$F"
	[ "$status" -ne 0 ] || fail "psql restored the fixture without its roles; the test needs it not to"
	[[ $stderr == *'role "fixture_owner" does not exist'* ]] || fail "psql: $stderr"

	db=$(newdb pgfeed)
	run --separate-stderr pgfeed -O -x -f "$F" "dbname=$db"
	fixture_dump "$db" -O -x >"$T/got.sql"
	pg_stop bare
	pg_use main
	assert_status 0
	fixture_dump fixture -O -x >"$T/want.sql"
	cmp -s "$T/want.sql" "$T/got.sql" ||
		fail "the restore differs: $(diff -u "$T/want.sql" "$T/got.sql" | cut -c 1-200 | head -n 40)"
}

@test "pgfeed --truncate -a -t replaces a table's rows with the dump's" {
	local db
	db=$(newdb trunc fixture)
	q "DELETE FROM public.big WHERE id <= 10; UPDATE public.big SET label = 'changed' WHERE id = 20;
		INSERT INTO public.big SELECT g, 'new', NULL, now() FROM generate_series(6000, 6010) g" "$db" >/dev/null
	# Without --truncate the rows clash with what is there.
	run --separate-stderr pgfeed -a -t public.big -f "$F" "dbname=$db"
	assert_status 1
	assert_stderr_has "ERROR 23505"

	run --separate-stderr pgfeed --truncate -a -t public.big -f "$F" "dbname=$db"
	assert_status 0
	assert_same_db fixture "$db"
}

@test "pgfeed --disable-triggers: data loads without firing the table's triggers" {
	local db before
	db=$(newdb on fixture)
	q 'DELETE FROM "Sales Data"."Order Items"; DELETE FROM public.orders' "$db" >/dev/null
	before=$(q 'SELECT count(*) FROM public.audit_log' "$db")
	# Without it, the audit trigger fires for each row.
	run --separate-stderr pgfeed -a -t public.orders -f "$F" "dbname=$db"
	assert_status 0
	run q 'SELECT count(*) FROM public.audit_log' "$db"
	assert_output $((before + 400))

	db=$(newdb off fixture)
	q 'DELETE FROM "Sales Data"."Order Items"; DELETE FROM public.orders' "$db" >/dev/null
	run --separate-stderr pgfeed -a -t public.orders --disable-triggers -f "$F" "dbname=$db"
	assert_status 0
	run q 'SELECT count(*) FROM public.audit_log' "$db"
	assert_output "$before"
	run q 'SELECT count(*) FROM public.orders' "$db"
	assert_output 400
	# And the triggers are on again afterwards.
	run q "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'public.orders'::regclass AND tgenabled = 'D'" "$db"
	assert_output 0
}

@test "pgfeed --clean restores over an existing copy, twice" {
	local db
	db=$(newdb clean fixture)
	run --separate-stderr pgfeed --clean -f "$F" "dbname=$db"
	assert_status 0
	assert_dump "$D/expect.sql" "$db"
	run --separate-stderr pgfeed --clean -1 -f "$F" "dbname=$db"
	assert_status 0
	assert_dump "$D/expect.sql" "$db"
}

# ---------------------------------------------------------------------------
# Meta-commands

# meta_refused NAME LINE: a script whose line 2 is LINE is refused at line 2
# as meta-command \NAME, exit 1, and its line 3 does not run.
meta_refused() {
	local name=$1 line=$2 db want
	db=$(newdb meta)
	printf '%s\n' 'CREATE TABLE before_meta (x integer);' "$line" \
		'CREATE TABLE after_meta (x integer);' >"$T/meta.sql"
	run --separate-stderr pgfeed -f "$T/meta.sql" "dbname=$db"
	assert_status 1
	want="pgfeed: line 2: refusing psql meta-command \\$name"
	[[ $'\n'$stderr$'\n' == *$'\n'"$want"[$' \n']* ]] || fail "no line '$want ...'; stderr: $stderr"
	run q "SELECT to_regclass('public.after_meta') IS NULL" "$db"
	assert_output t
	META_DB=$db
}

@test "pgfeed: \\! is refused with its line number, and nothing after it runs" {
	meta_refused '!' "\\! touch $T/bang"
	[ ! -e "$T/bang" ] || fail "the shell command ran"
}

@test "pgfeed: \\o is refused with its line number, and nothing after it runs" {
	meta_refused o "\\o $T/o.out"
	[ ! -e "$T/o.out" ] || fail "the output file was made"
}

@test "pgfeed: \\i is refused with its line number, and nothing after it runs" {
	echo 'CREATE TABLE included (x integer);' >"$T/inc.sql"
	meta_refused i "\\i $T/inc.sql"
	run q "SELECT to_regclass('public.included') IS NULL" "$META_DB"
	assert_output t
}

@test "pgfeed: \\copy is refused with its line number, and nothing after it runs" {
	printf '1\n2\n' >"$T/rows.txt"
	meta_refused copy "\\copy before_meta FROM '$T/rows.txt'"
	if [[ $(q "SELECT to_regclass('public.before_meta') IS NOT NULL" "$META_DB") == t ]]; then
		run q 'SELECT count(*) FROM public.before_meta' "$META_DB"
		assert_output 0
	fi
}

@test "pgfeed: \\g is refused with its line number, and nothing after it runs" {
	meta_refused g "SELECT 1 \\g $T/g.out"
	[ ! -e "$T/g.out" ] || fail "the output file was made"
}

@test "pgfeed: \\gexec is refused with its line number, and nothing after it runs" {
	meta_refused gexec "SELECT 'CREATE TABLE gexec_made (x integer)' \\gexec"
	run q "SELECT to_regclass('public.gexec_made') IS NULL" "$META_DB"
	assert_output t
}

@test "pgfeed: \\lo_import is refused with its line number, and nothing after it runs" {
	echo data >"$T/lo.bin"
	meta_refused lo_import "\\lo_import $T/lo.bin"
	run q 'SELECT count(*) FROM pg_largeobject_metadata' "$META_DB"
	assert_output 0
}

@test "pgfeed: \\set of anything but ON_ERROR_STOP is refused with its line number" {
	meta_refused set '\set FOO bar'
}

@test "pgfeed: \\set ON_ERROR_STOP and \\encoding are understood" {
	local db
	db=$(newdb meta)
	printf '%s\n' '\set ON_ERROR_STOP on' 'CREATE TABLE a (x integer);' '\encoding UTF8' \
		'CREATE TABLE b (x integer);' >"$T/ok.sql"
	run --separate-stderr pgfeed -f "$T/ok.sql" "dbname=$db"
	assert_status 0
	run q "SELECT to_regclass('public.a') IS NOT NULL AND to_regclass('public.b') IS NOT NULL" "$db"
	assert_output t
}

@test "pgfeed: \\restrict KEY and \\unrestrict of another key is an error; matching keys are fine" {
	local db
	db=$(newdb restrict)
	printf '%s\n' '\restrict abc123' 'CREATE TABLE r1 (x integer);' '\unrestrict xyz789' \
		'CREATE TABLE r2 (x integer);' >"$T/bad.sql"
	run --separate-stderr pgfeed -f "$T/bad.sql" "dbname=$db"
	assert_status 1
	assert_stderr_has "line 3"
	run q "SELECT to_regclass('public.r2') IS NULL" "$db"
	assert_output t

	db=$(newdb restrict_ok)
	sed 's/xyz789/abc123/' "$T/bad.sql" >"$T/ok.sql"
	run --separate-stderr pgfeed -f "$T/ok.sql" "dbname=$db"
	assert_status 0
	run q "SELECT to_regclass('public.r2') IS NOT NULL" "$db"
	assert_output t
}

# ---------------------------------------------------------------------------
# Input that is not SQL: exit 2, "not SQL", nothing runs

# not_sql FILE WORD...: pgfeed -f FILE exits 2, says "not SQL" and each WORD,
# and the database stays empty.
not_sql() {
	local file=$1 word db
	shift
	db=$(newdb notsql)
	run --separate-stderr pgfeed -f "$file" "dbname=$db"
	assert_status 2
	assert_stderr_has "not SQL"
	for word in "$@"; do
		assert_stderr_has "$word"
	done
	assert_dump "$D/empty.sql" "$db"
}

@test "pgfeed: gzip input is refused as not SQL with the gzcat-verify hint, exit 2" {
	local db
	db=$(newdb gz)
	gzip -c "$F" >"$T/dump.sql.gz"
	run --separate-stderr pgfeed "dbname=$db" <"$T/dump.sql.gz"
	assert_status 2
	assert_err_line "pgfeed: stdin: this is gzip-compressed data, not SQL; pipe it through gzcat-verify"
	assert_dump "$D/empty.sql" "$db"
	not_sql "$T/dump.sql.gz" gzip gzcat-verify
}

@test "pgfeed: a pg_dump custom-format archive is refused as not SQL with the pg_restore hint, exit 2" {
	local db
	db=$(newdb custom)
	run --separate-stderr pgfeed "dbname=$db" <"$D/fixture.dump"
	assert_status 2
	assert_err_line "pgfeed: stdin: this is a pg_dump custom-format archive, not SQL; restore it with pg_restore -d, or turn it into SQL for pgfeed with pg_restore -f - FILE"
	assert_dump "$D/empty.sql" "$db"
}

@test "pgfeed: a pg_dump -Ft tar archive is refused as not SQL, exit 2" {
	pg_dump -Ft -d fixture >"$T/dump.tar"
	not_sql "$T/dump.tar" tar
}

@test "pgfeed: zstd input is refused as not SQL, exit 2" {
	if command -v zstd >/dev/null; then
		zstd -q -c "$F" >"$T/dump.sql.zst"
	else
		{ printf '\x28\xb5\x2f\xfd'; gen_random 1000 1; } >"$T/dump.sql.zst"
	fi
	not_sql "$T/dump.sql.zst" zstd
}

@test "pgfeed: xz input is refused as not SQL, exit 2" {
	if command -v xz >/dev/null; then
		xz -c "$F" >"$T/dump.sql.xz"
	else
		{ printf '\xfd7zXZ\x00'; gen_random 1000 2; } >"$T/dump.sql.xz"
	fi
	not_sql "$T/dump.sql.xz" xz
}

@test "pgfeed: bzip2 input is refused as not SQL, exit 2" {
	if command -v bzip2 >/dev/null; then
		bzip2 -c "$F" >"$T/dump.sql.bz2"
	else
		{ printf 'BZh91AY&SY'; gen_random 1000 3; } >"$T/dump.sql.bz2"
	fi
	not_sql "$T/dump.sql.bz2" bzip2
}

@test "pgfeed: zip input is refused as not SQL, exit 2" {
	if command -v zip >/dev/null; then
		(cd "$D" && zip -q "$T/dump.zip" fixture.sql)
	else
		{ printf 'PK\x03\x04'; gen_random 1000 4; } >"$T/dump.zip"
	fi
	not_sql "$T/dump.zip" zip
}

@test "pgfeed: random binary input is refused as not SQL, exit 2" {
	gen_random 4096 7 >"$T/random.bin"
	not_sql "$T/random.bin"
}

# ---------------------------------------------------------------------------
# Connections

@test "pgfeed: a server that does not answer is exit 3" {
	local port
	port=$(closed_port)
	run --separate-stderr pgfeed -f "$TESTS_DIR/data/sql/tricky.sql" "host=127.0.0.1 port=$port dbname=postgres connect_timeout=5"
	assert_status 3
	assert_stderr_has "pgfeed: "
}

@test "pgfeed: a database that does not exist is exit 1 (the server said no)" {
	run --separate-stderr pgfeed -f "$TESTS_DIR/data/sql/tricky.sql" "dbname=t_${BATS_TEST_NUMBER}_no_such_db"
	assert_status 1
	assert_stderr_has "database \"t_${BATS_TEST_NUMBER}_no_such_db\" does not exist"
}

@test "pgfeed: DATABASE_URL is used when there is no conninfo and no PG* variable; PG* variables and a conninfo win over it" {
	local a b c
	a=$(newdb url)
	b=$(newdb pgvars)
	c=$(newdb conninfo)
	echo 'CREATE TABLE made_here (x integer);' >"$T/s.sql"

	run --separate-stderr env -u PGHOST -u PGPORT -u PGUSER -u PGDATABASE \
		DATABASE_URL="postgresql://postgres@127.0.0.1:$PGPORT/$a" pgfeed -f "$T/s.sql"
	assert_status 0
	run q "SELECT to_regclass('public.made_here') IS NOT NULL" "$a"
	assert_output t

	run --separate-stderr env PGDATABASE="$b" DATABASE_URL="postgresql://postgres@127.0.0.1:$PGPORT/$a" \
		pgfeed -f "$T/s.sql"
	assert_status 0
	run q "SELECT to_regclass('public.made_here') IS NOT NULL" "$b"
	assert_output t

	run --separate-stderr env DATABASE_URL="postgresql://postgres@127.0.0.1:$PGPORT/$a" \
		pgfeed -f "$T/s.sql" "dbname=$c"
	assert_status 0
	run q "SELECT to_regclass('public.made_here') IS NOT NULL" "$c"
	assert_output t
}

@test "pgfeed: its session has application_name pgfeed" {
	local db
	db=$(newdb app)
	echo "CREATE TABLE app AS SELECT current_setting('application_name') AS name;" >"$T/s.sql"
	run --separate-stderr pgfeed -f "$T/s.sql" "dbname=$db"
	assert_status 0
	run q 'SELECT name FROM app' "$db"
	assert_output pgfeed
}

@test "pgfeed -1: SIGTERM during a long restore rolls back: nothing committed, exit nonzero" {
	local db off pid i n=0 rc=0
	db=$(newdb sigterm)
	# The fixture, then a statement that takes 10 s, then the trailer.
	off=$(offset_of "$F" $'--\n-- PostgreSQL database dump complete\n' last)
	{
		head -c "$off" "$F"
		printf 'SELECT pg_sleep(10);\n\n'
		tail -c +"$((off + 1))" "$F"
	} >"$T/slow.sql"
	pgfeed -1 -f "$T/slow.sql" "dbname=$db" >"$T/out" 2>"$T/err" 3>&- &
	pid=$!
	for ((i = 0; i < 300; i++)); do
		n=$(q "SELECT count(*) FROM pg_stat_activity WHERE datname = '$db' AND state = 'active' AND query LIKE 'SELECT pg_sleep(10)%'" postgres)
		((n > 0)) && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if ((n == 0)); then
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" || true
		fail "pgfeed did not reach the pg_sleep: $(cat "$T/err")"
	fi
	kill -TERM "$pid"
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid"
		wait "$pid" || true
		fail "pgfeed still runs 10 s after SIGTERM"
	fi
	wait "$pid" || rc=$?
	((rc != 0)) || fail "pgfeed exited 0 after SIGTERM"
	# Whatever pgfeed left to the server has ended before we look.
	for ((i = 0; i < 150; i++)); do
		n=$(q "SELECT count(*) FROM pg_stat_activity WHERE datname = '$db'" postgres)
		((n == 0)) && break
		sleep 0.1
	done
	((n == 0)) || fail "the session of pgfeed is still there 15 s after it ended"
	assert_dump "$D/empty.sql" "$db"
}

# ---------------------------------------------------------------------------
# -v

@test "pgfeed -v prints a summary on stderr (rows per table); stdout stays empty" {
	local db
	db=$(newdb verbose)
	run --separate-stderr pgfeed -v -f "$F" "dbname=$db"
	assert_status 0
	[ -z "$output" ] || fail "stdout is not empty: ${output:0:300}"
	[ -n "$stderr" ] || fail "-v printed nothing"
	grep -E 'big.*5000|5000.*big' <<<"$stderr" >/dev/null ||
		fail "no line with public.big's 5000 rows: $stderr"
	grep -E 'users.*200|200.*users' <<<"$stderr" >/dev/null ||
		fail "no line with public.users's 200 rows: $stderr"
	assert_dump "$D/expect.sql" "$db"
}

@test "pgfeed -t --with-indexes brings a dropped table back with its serial and identity sequences" {
	local db dump=$T/seq.sql
	db=$(newdb seq)
	psql -X -q -v ON_ERROR_STOP=1 -d "$db" <<-'SQL'
		CREATE TABLE orders (id serial PRIMARY KEY, note text);
		CREATE TABLE items (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		    order_id int REFERENCES orders (id));
		INSERT INTO orders (note) SELECT 'n' || g FROM generate_series(1, 50) g;
		INSERT INTO items (order_id) SELECT g FROM generate_series(1, 50) g;
		COMMENT ON SEQUENCE orders_id_seq IS 'numbers the orders';
		CREATE TABLE other (id serial);
	SQL
	pg_dump -d "$db" >"$dump"
	fixture_unrestrict <"$dump" >"$T/expect.sql"
	q 'DROP TABLE items, orders' "$db"
	run -0 --separate-stderr pgfeed -1 -t orders -t items --with-indexes -f "$dump" "dbname=$db"
	assert_dump "$T/expect.sql" "$db"
	assert_equal "$(q "INSERT INTO orders (note) VALUES ('x') RETURNING id" "$db" | head -n 1)" 51
	# Without --with-indexes, pg_restore -t's choice: no sequences, no defaults.
	q 'DROP TABLE items, orders' "$db"
	run -0 --separate-stderr pgfeed -1 -t orders -f "$dump" "dbname=$db"
	assert_equal "$(q "SELECT count(*) FROM pg_class WHERE relname = 'orders_id_seq'" "$db")" 0
}

@test "pgfeed -t --with-indexes --fk-not-valid restores a table whose parent rows are gone since the backup: the foreign key stays NOT VALID, the orphans counted" {
	local db dump=$T/fk.sql
	db=$(newdb fk)
	psql -X -q -v ON_ERROR_STOP=1 -d "$db" <<-'SQL'
		CREATE SCHEMA "Shop";
		CREATE TABLE "Shop"."Customers" (id int PRIMARY KEY, region int, UNIQUE (id, region));
		CREATE TABLE "Shop".orders (id int PRIMARY KEY, customer int, region int,
		    CONSTRAINT "orders ""cust"" fk" FOREIGN KEY (customer, region)
		        REFERENCES "Shop"."Customers" (id, region));
		CREATE TABLE "Shop".notes (id int REFERENCES "Shop".orders (id));
		INSERT INTO "Shop"."Customers" SELECT g, 1 FROM generate_series(1, 10) g;
		INSERT INTO "Shop".orders SELECT g, 1 + g % 10, 1 FROM generate_series(1, 100) g;
		INSERT INTO "Shop".orders VALUES (101, NULL, 1);  -- MATCH SIMPLE: no parent needed
		INSERT INTO "Shop".notes SELECT g FROM generate_series(1, 5) g;
	SQL
	pg_dump -d "$db" >"$dump"
	# Since the backup: the orders table dropped, one customer (10 orders) deleted.
	q 'DROP TABLE "Shop".orders CASCADE; DELETE FROM "Shop"."Customers" WHERE id = 3' "$db"
	# Without --fk-not-valid the table cannot come back: all or nothing.
	run -1 --separate-stderr pgfeed -1 -t '"Shop".orders' --with-indexes -f "$dump" "dbname=$db"
	assert_stderr_has 'violates foreign key constraint "orders "cust" fk"'
	assert_equal "$(q "SELECT count(*) FROM pg_class WHERE relname = 'orders'" "$db")" 0
	run -0 --separate-stderr pgfeed -1 -t '"Shop".orders' --with-indexes --fk-not-valid -f "$dump" "dbname=$db"
	assert_stderr_has 'pgfeed: "Shop".orders: foreign key "orders ""cust"" fk" stays NOT VALID: 10 rows reference no row of "Shop"."Customers"'
	assert_stderr_has "pgfeed:   the first: Key (customer, region)=(3, 1) is not present in table \"Customers\"."
	assert_stderr_has "pgfeed: 1 foreign key left NOT VALID"
	assert_equal "$(q 'SELECT count(*) FROM "Shop".orders' "$db")" 101
	assert_equal "$(q "SELECT convalidated FROM pg_constraint WHERE conname = 'orders \"cust\" fk'" "$db")" f
	# Its primary key came too, and a foreign key whose rows all hold is validated.
	assert_equal "$(q "SELECT count(*) FROM pg_constraint WHERE conrelid = '\"Shop\".orders'::regclass AND contype = 'p'" "$db")" 1
	q 'DROP TABLE "Shop".orders CASCADE; INSERT INTO "Shop"."Customers" VALUES (3, 1)' "$db"
	run -0 --separate-stderr pgfeed -1 -t '"Shop".orders' --with-indexes --fk-not-valid -f "$dump" "dbname=$db"
	refute_stderr_has "NOT VALID"
	assert_equal "$(q "SELECT convalidated FROM pg_constraint WHERE conname = 'orders \"cust\" fk'" "$db")" t
	# --emit writes the NOT VALID it would send.
	run -0 --separate-stderr pgfeed --emit -t '"Shop".orders' --with-indexes --fk-not-valid -f "$dump"
	assert_output --partial 'REFERENCES "Shop"."Customers"(id, region) NOT VALID;'
}

@test "pgfeed: the server's notices and warnings reach stderr as pgfeed: lines" {
	local db
	db=$(newdb notices)
	run -0 --separate-stderr pgfeed "dbname=$db" <<-'SQL'
		DROP TABLE IF EXISTS nope;
		DO $$ BEGIN RAISE WARNING 'careful'; END $$;
	SQL
	assert_err_line 'pgfeed: NOTICE:  table "nope" does not exist, skipping'
	assert_err_line 'pgfeed: WARNING:  careful'
	assert_output ""
}

# ---------------------------------------------------------------------------
# Hostile dumps: under -1 nothing is committed unless all of it is, nothing
# from the input reaches the server but one statement at a time, and no
# meta-command passes that pgfeed does not understand (nor into --emit).

# hostile_single LINE...: pgfeed -1 of "CREATE TABLE before_h" LINE...
# "CREATE TABLE after_h" exits 1 and neither table exists.
hostile_single() {
	local db
	HOSTILE_N=$((${HOSTILE_N:-0} + 1))
	db=$(newdb "hostile$HOSTILE_N")
	{ echo 'CREATE TABLE before_h (x integer);'; printf '%s\n' "$@"; echo 'CREATE TABLE after_h (x integer);'; } >"$T/h.sql"
	run --separate-stderr pgfeed -1 -f "$T/h.sql" "dbname=$db"
	assert_status 1
	run q "SELECT to_regclass('public.before_h') IS NULL AND to_regclass('public.after_h') IS NULL" "$db"
	assert_output t
	HOSTILE_DB=$db
}

@test "pgfeed -1: \\encoding with SQL in its argument is refused at its line; nothing is committed" {
	hostile_single "\\encoding UTF8'; COMMIT; SET client_encoding TO 'UTF8"
	run -1 --separate-stderr pgfeed -1 -f "$T/h.sql" "dbname=$HOSTILE_DB"
	assert_stderr_has "line 2: refusing \\encoding"
}

@test "pgfeed -1: \\encoding of an encoding whose bytes hold backslashes (SJIS, BIG5, GBK) is refused" {
	local e
	for e in SJIS BIG5 GBK GB18030 UHC; do
		hostile_single "\\encoding $e"
		run -1 --separate-stderr pgfeed -1 -f "$T/h.sql" "dbname=$HOSTILE_DB"
		assert_stderr_has "line 2: refusing \\encoding"
		assert_stderr_has "backslash"
	done
}

@test "pgfeed: SET client_encoding to SJIS is followed from the server and refused before the next statement" {
	local db
	db=$(newdb sjis)
	printf '%s\n' "SET client_encoding = 'SJIS';" "SELECT 'x\\'; COMMIT; CREATE TABLE sjis_made (x integer); --';" >"$T/sjis.sql"
	run --separate-stderr pgfeed -1 -f "$T/sjis.sql" "dbname=$db"
	assert_status 1
	assert_stderr_has "SJIS"
	run q "SELECT to_regclass('public.sjis_made') IS NULL" "$db"
	assert_output t
}

@test "pgfeed -1: every way to set standard_conforming_strings off is read as the server reads it" {
	local db set n=0
	# With the setting off, 'a\'; COMMIT; ...' is one string to the server;
	# a reader that thought it on would see a COMMIT and a statement.
	for set in "SET standard_conforming_strings = 'off';" "SET standard_conforming_strings TO no;" \
		"SET standard_conforming_strings = 0;" "SET standard_conforming_strings = of;" \
		"SELECT pg_catalog.set_config('standard_conforming_strings', 'off', false);" \
		"SET SESSION standard_conforming_strings = false;"; do
		n=$((n + 1))
		db=$(newdb "scs$n")
		printf '%s\n' 'CREATE TABLE t (v text);' "$set" \
			"INSERT INTO t VALUES ('a\\'; COMMIT; CREATE TABLE scs_made (x integer); --');" >"$T/scs.sql"
		run --separate-stderr pgfeed -1 -f "$T/scs.sql" "dbname=$db"
		assert_status 0
		run q "SELECT to_regclass('public.scs_made') IS NULL AND (SELECT count(*) FROM t) = 1" "$db"
		assert_output t
	done
}

@test "pgfeed -1: RESET, SET TO DEFAULT and RESET ALL of standard_conforming_strings follow the server" {
	local db set n=0
	for set in "RESET standard_conforming_strings;" "SET standard_conforming_strings TO DEFAULT;" "RESET ALL;"; do
		n=$((n + 1))
		db=$(newdb "scsreset$n")
		# off, then back to the server's default (on): a backslash is then plain text
		printf '%s\n' 'CREATE TABLE t (v text);' "SET standard_conforming_strings = off;" "$set" \
			"INSERT INTO t VALUES ('a\\');" "INSERT INTO t VALUES ('b');" >"$T/scs.sql"
		run --separate-stderr pgfeed -1 -f "$T/scs.sql" "dbname=$db"
		assert_status 0
		run q "SELECT string_agg(v, ',' ORDER BY v) FROM t" "$db"
		assert_output 'a\,b'
	done
}

@test "pgfeed -1: a transaction ended by the input is an error naming the line: changes were committed, no rollback claimed" {
	local db
	db=$(newdb txnend)
	printf '%s\n' 'CREATE TABLE a (x integer);' 'COMMIT' 'CREATE TABLE b (x integer);' >"$T/raw.sql"
	run --separate-stderr feedraw "dbname=$db" <"$T/raw.sql"
	assert_status 1
	assert_stderr_has "line 2"
	assert_stderr_has "the single transaction was ended at line 2"
	assert_stderr_has "changes were committed"
	refute_stderr_has "nothing was committed"
	# what the message says is what happened: line 1 is committed, line 3 is not
	run q "SELECT to_regclass('public.a') IS NOT NULL AND to_regclass('public.b') IS NULL" "$db"
	assert_output t
}

@test "pgfeed -1: ROLLBACK or PREPARE TRANSACTION in the input is refused before it is sent" {
	local s
	for s in 'ROLLBACK;' '/* x */ abort;' "PREPARE TRANSACTION 'p';" 'ROLLBACK TO SAVEPOINT s;'; do
		hostile_single "$s"
		run -1 --separate-stderr pgfeed -1 -f "$T/h.sql" "dbname=$HOSTILE_DB"
		assert_stderr_has "line 2: refusing"
	done
}

@test "pgfeed: one statement per protocol message, for the statements run alone (VACUUM, ALTER TYPE...) too" {
	local db line n=0
	# What the reader takes for one statement never reaches the server as
	# several: the server refuses a message with two, COMMIT among them.
	for line in 'CREATE TABLE y (x integer); COMMIT; CREATE TABLE z (x integer)' \
		'VACUUM; COMMIT; CREATE TABLE z (x integer)' 'ALTER TYPE t ADD VALUE $$b$$; COMMIT; CREATE TABLE z (x integer)'; do
		n=$((n + 1))
		db=$(newdb "onemsg$n")
		printf '%s\n' "$line" >"$T/raw.sql"
		run --separate-stderr feedraw "dbname=$db" <"$T/raw.sql"
		assert_status 1
		assert_stderr_has "cannot insert multiple commands into a prepared statement"
		run q "SELECT to_regclass('public.z') IS NULL AND to_regclass('public.y') IS NULL" "$db"
		assert_output t
	done
}

@test "pgfeed --clean: a TOC comment whose name holds SQL is quoted into the DROP, never run" {
	local db
	db=$(newdb cleanq)
	q 'CREATE TABLE keep_me (x integer)' "$db" >/dev/null
	cat >"$T/clean.sql" <<-'SQL'
	--
	-- Name: x; DROP TABLE keep_me; --; Type: TABLE; Schema: public; Owner: alice
	--

	CREATE TABLE public.made (x integer);
	SQL
	run --separate-stderr pgfeed -c -f "$T/clean.sql" "dbname=$db"
	run q "SELECT to_regclass('public.keep_me') IS NOT NULL" "$db"
	assert_output t
}

@test "pgfeed --clean: a FUNCTION entry whose arguments hold SQL is refused with its line; nothing is dropped" {
	local db
	db=$(newdb cleanf)
	q 'CREATE TABLE keep_me (x integer)' "$db" >/dev/null
	cat >"$T/clean.sql" <<-'SQL'
	--
	-- Name: f(integer); DROP TABLE keep_me; SELECT (1); Type: FUNCTION; Schema: public; Owner: alice
	--

	CREATE FUNCTION public.f(integer) RETURNS integer LANGUAGE sql AS 'SELECT 1';
	SQL
	run --separate-stderr pgfeed -c -f "$T/clean.sql" "dbname=$db"
	assert_status 1
	assert_stderr_has "line 2: --clean: refusing to drop FUNCTION"
	run q "SELECT to_regclass('public.keep_me') IS NOT NULL" "$db"
	assert_output t
	run --separate-stderr pgfeed --emit -c -f "$T/clean.sql"
	assert_status 1
	# only in the comment it came from
	run grep -v '^--' <<<"$output"
	refute_output --partial "DROP TABLE keep_me"
}

@test "pgfeed --clean, --emit --into and pgcount --dump: names longer than 63 bytes are refused, never overflow" {
	local long db
	long=$(printf 's%.0s' {1..400})
	db=$(newdb longname)
	printf -- '--\n-- Name: t; Type: TABLE; Schema: %s; Owner: alice\n--\n\nCREATE TABLE %s.t (x integer);\n' \
		"$long" "$long" >"$T/long.sql"
	run --separate-stderr pgfeed -c -f "$T/long.sql" "dbname=$db"
	assert_status 1
	assert_stderr_has "longer than 63 bytes"
	run --separate-stderr pgcount --dump "$T/long.sql"
	assert_status 1
	assert_stderr_has "longer than 63 bytes"
	run --separate-stderr pgfeed --emit -t public.users --into "$long" -f "$F"
	assert_status 2
	assert_stderr_has "63 bytes"
	run --separate-stderr pgfeed --emit -t public.users --into "public.$long" -f "$F"
	assert_status 2
}

@test "pgfeed --into a name that must be quoted restores into exactly that name" {
	local db
	db=$(newdb intoq fixture)
	run --separate-stderr pgfeed -a -t public.users --into 'public."x""; DROP TABLE users; --"' -f "$F" "dbname=$db"
	run q "SELECT to_regclass('public.users') IS NOT NULL" "$db"
	assert_output t
}

@test "pgfeed: empty input, or a 20-byte gzip of nothing, is an error (exit 1) unless --allow-empty" {
	local db
	db=$(newdb empty)
	run --separate-stderr pgfeed -1 "dbname=$db" </dev/null
	assert_status 1
	assert_stderr_has "no SQL statement in the input"
	gzip -c </dev/null >"$T/empty.sql.gz"
	[ "$(stat -c %s "$T/empty.sql.gz")" -eq 20 ] || fail "gzip of nothing is not 20 bytes"
	run --separate-stderr bash -c 'gzcat-verify <"$1" | pgfeed -1 "$2"' _ "$T/empty.sql.gz" "dbname=$db"
	assert_status 1
	assert_stderr_has "no SQL statement in the input"
	printf -- '-- only a comment\n\n' >"$T/comment.sql"
	run --separate-stderr pgfeed -f "$T/comment.sql" "dbname=$db"
	assert_status 1
	run --separate-stderr pgfeed --allow-empty -1 "dbname=$db" </dev/null
	assert_status 0
}

@test "pgfeed and pgcount --dump: a dump cut right after \\restrict KEY is truncated, exit 1" {
	local db
	db=$(newdb cutrestrict)
	# pg_dump 17.6, 16.10, 15.14 and later begin a dump with \restrict KEY
	printf '%s\n' '\restrict Ab12' >"$T/cut.sql"
	run --separate-stderr pgfeed -1 -f "$T/cut.sql" "dbname=$db"
	assert_status 1
	{ echo '\restrict Ab12'; fixture_unrestrict <"$F"; } >"$T/cut.sql"
	run --separate-stderr pgfeed -1 -f "$T/cut.sql" "dbname=$db"
	assert_status 1
	assert_stderr_has 'unrestrict'
	run --separate-stderr pgcount --dump "$T/cut.sql"
	assert_status 1
	assert_stderr_has "truncated"
	run --separate-stderr pgcount --dump </dev/null
	assert_status 1
	assert_stderr_has "no SQL statement in the input"
}

# meta_line_refused LINE: a script with LINE as line 2 is refused at line 2,
# exit 1, the shell command in it does not run, and --emit writes nothing of it.
meta_line_refused() {
	local db
	META_N=$((${META_N:-0} + 1))
	db=$(newdb "metaline$META_N")
	printf '%s\n' 'CREATE TABLE before_meta (x integer);' "$1" 'CREATE TABLE after_meta (x integer);' >"$T/meta.sql"
	run --separate-stderr pgfeed -f "$T/meta.sql" "dbname=$db"
	assert_status 1
	assert_stderr_has "line 2: refusing"
	[ ! -e "$T/pwned" ] || fail "the shell command ran"
	run q "SELECT to_regclass('public.after_meta') IS NULL" "$db"
	assert_output t
	run --separate-stderr pgfeed --emit -f "$T/meta.sql"
	assert_status 1
	refute_output --partial 'pwned'
}

@test "pgfeed: every backslash command on a meta line is checked: \\set ON_ERROR_STOP on \\! cmd is refused" {
	meta_line_refused "\\set ON_ERROR_STOP on \\! touch $T/pwned"
}

@test "pgfeed: \\connect db \\! cmd is refused, and so is \\connect with a conninfo naming more than a database" {
	meta_line_refused "\\connect postgres \\! touch $T/pwned"
	meta_line_refused "\\connect 'dbname=postgres host=/tmp/pwned'"
}

@test "pgfeed: \\restrict K \\! cmd is refused" {
	meta_line_refused "\\restrict abc \\! touch $T/pwned"
}

@test "pgfeed: a meta line with backquotes or a :variable is refused" {
	meta_line_refused "\\set ON_ERROR_STOP \`touch $T/pwned\`"
	meta_line_refused "\\connect :pwned"
	meta_line_refused "\\set ON_ERROR_STOP on \\\\ SELECT 'pwned';"
}

@test "pgfeed: text after COPY ... FROM stdin; on its line is refused, and never written by --emit" {
	local db
	db=$(newdb copytail)
	printf '%s\n' 'CREATE TABLE t (x integer);' "COPY t FROM stdin; \\! touch $T/pwned" '1' '\.' >"$T/copy.sql"
	run --separate-stderr pgfeed -f "$T/copy.sql" "dbname=$db"
	assert_status 1
	assert_stderr_has "line 2"
	assert_stderr_has "after COPY"
	run q "SELECT count(*) FROM t" "$db"
	assert_output 0
	run --separate-stderr pgfeed --emit -f "$T/copy.sql"
	assert_status 1
	refute_output --partial 'pwned'
	[ ! -e "$T/pwned" ] || fail "the shell command ran"
}

@test "pgfeed: a NUL byte anywhere in the input is refused with its line" {
	local db
	db=$(newdb nul)
	# past the first bytes, which are checked for binary data (exit 2)
	{ printf 'CREATE TABLE t (x integer);\n'; printf -- '-- %0600d\n' 0; printf -- '-- a\0\nSELECT 1;\n'; } >"$T/nul.sql"
	run --separate-stderr pgfeed -1 -f "$T/nul.sql" "dbname=$db"
	assert_status 1
	assert_stderr_has "line 4: a NUL byte"
	run q "SELECT to_regclass('public.t') IS NULL" "$db"
	assert_output t
	printf 'CREATE TABLE t (x integer);\n\0' >"$T/nul.sql"
	run --separate-stderr pgfeed -1 -f "$T/nul.sql" "dbname=$db"
	assert_status 2
	run q "SELECT to_regclass('public.t') IS NULL" "$db"
	assert_output t
}

@test "pgfeed: a password in a connection URI is never printed, whatever the error" {
	run --separate-stderr pgfeed 'postgresql://u:s3cretpw@127.0.0.1:1/db?badopt=1' </dev/null
	assert_failure
	refute_stderr_has "s3cretpw"
	run --separate-stderr pgfeed 'postgresql://u:s3cretpw@127.0.0.1:1/db' <"$F"
	assert_failure
	refute_stderr_has "s3cretpw"
	run --separate-stderr pgfeed 'host=127.0.0.1 port=1 password=s3cretpw user=u' <"$F"
	assert_failure
	refute_stderr_has "s3cretpw"
}
