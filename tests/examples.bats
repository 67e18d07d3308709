#!/usr/bin/env bats
# The runbooks in examples/, run against a real PostgreSQL server.

load lib/common
load lib/pg

setup_file() {
	pg_start
	psql -Xq -v ON_ERROR_STOP=1 <<-'SQL'
		CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL);
		INSERT INTO users SELECT g, 'user' || g || '@example.com' FROM generate_series(1, 50000) g;
	SQL
	pg_dump -d postgres >"$BATS_FILE_TMPDIR/db.sql"
	gzip -c "$BATS_FILE_TMPDIR/db.sql" >"$BATS_FILE_TMPDIR/db.sql.gz"
}

teardown_file() {
	pg_stop
}

setup() {
	EX=$TESTS_DIR/../examples
	D=$BATS_FILE_TMPDIR
}

@test "verify-dump.sh: a fresh pg_dump, plain and gzipped, is ok" {
	run --separate-stderr "$EX/verify-dump.sh" "$D/db.sql.gz" "$D/db.sql"
	assert_success
	assert_line --index 0 "verify-dump: $D/db.sql.gz: ok"
	assert_line --index 1 "verify-dump: $D/db.sql: ok"
}

@test "verify-dump.sh: a truncated gzip backup is damaged, exit 1" {
	head -c -100 "$D/db.sql.gz" >"$BATS_TEST_TMPDIR/cut.sql.gz"
	run --separate-stderr "$EX/verify-dump.sh" "$BATS_TEST_TMPDIR/cut.sql.gz"
	assert_failure 1
	[[ $stderr == *"cut.sql.gz: corrupted at byte"*"unexpected end of input"* ]]
	[[ $stderr == *"verify-dump: $BATS_TEST_TMPDIR/cut.sql.gz: damaged"* ]]
}

@test "verify-dump.sh: a dump cut short before compression is incomplete, exit 1" {
	head -c 200000 "$D/db.sql" | gzip >"$BATS_TEST_TMPDIR/short.sql.gz"
	run --separate-stderr "$EX/verify-dump.sh" "$BATS_TEST_TMPDIR/short.sql.gz"
	assert_failure 1
	assert_equal "$stderr" "verify-dump: $BATS_TEST_TMPDIR/short.sql.gz: incomplete (no pg_dump trailer)"
}

@test "verify-dump.sh: --help prints usage, no argument is a usage error" {
	run --separate-stderr "$EX/verify-dump.sh" --help
	assert_success
	assert_line --index 0 --partial "Usage: verify-dump.sh"
	run --separate-stderr "$EX/verify-dump.sh"
	assert_failure 2
}
