#!/usr/bin/env bats
# Smoke tests for tests/lib/pg.bash, the throwaway PostgreSQL server.

load lib/common
load lib/pg

setup_file() {
	pg_start
}

teardown_file() {
	# The other servers are stopped here too in case their test failed early.
	pg_stop third
	pg_stop second
	pg_stop
}

@test "the test server answers on its unix socket" {
	run --separate-stderr psql -XAtc 'select 1'
	assert_success
	assert_output 1
	[[ $PGHOST == /* ]]
	[[ -S $PGHOST/.s.PGSQL.$PGPORT ]]
}

@test "the test server listens on 127.0.0.1 only" {
	run --separate-stderr psql -h 127.0.0.1 -p "$PGPORT" -XAtc 'select inet_server_addr()'
	assert_success
	assert_output 127.0.0.1

	run --separate-stderr psql -XAtc 'show listen_addresses'
	assert_success
	assert_output 127.0.0.1

	run --separate-stderr psql "$PG_URL" -XAtc 'select current_user'
	assert_success
	assert_output postgres
}

@test "the test server is PostgreSQL 15 or newer" {
	run --separate-stderr psql -XAtc 'show server_version_num'
	assert_success
	((output >= 150000))
}

@test "a second server runs at the same time on another port" {
	local first_host=$PGHOST first_port=$PGPORT second_pid

	pg_start second
	assert [ "$PGPORT" != "$first_port" ]
	assert [ "$PGHOST" != "$first_host" ]
	second_pid=$(head -n 1 "$PG_TMPDIR/pg-second/data/postmaster.pid")

	run --separate-stderr psql -XAtc 'select 2'
	assert_success
	assert_output 2
	run --separate-stderr psql -h "$first_host" -p "$first_port" -XAtc 'select 1'
	assert_success
	assert_output 1

	pg_stop second
	run ps -p "$second_pid"
	assert_failure

	pg_use main
	assert_equal "$PGPORT" "$first_port"
	run --separate-stderr psql -XAtc 'select 1'
	assert_success
	assert_output 1
}

@test "pg_stop stops the server by its pid" {
	local pid

	pg_start third
	pid=$(head -n 1 "$PG_TMPDIR/pg-third/data/postmaster.pid")
	run ps -o comm= -p "$pid"
	assert_success
	assert_output postgres

	pg_stop third
	run ps -p "$pid"
	assert_failure
	run --separate-stderr psql -XAtc 'select 1'
	assert_failure

	# Stopping again is harmless.
	pg_stop third
}

@test "pg_stop is harmless for a server that never started" {
	pg_stop never-started
}
