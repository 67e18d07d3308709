# The rich database of the pgfeed and pgcount suites, and dumps of it that
# can be compared.
#
#   load lib/pg
#   load lib/fixture
#   setup_file() { pg_start && fixture_create fixture && fixture_dump fixture >"$BATS_FILE_TMPDIR/fixture.sql"; }
#
# fixture_create DB creates database DB on the server of PGHOST/PGPORT
# (pg_start, pg_use) and fills it from tests/data/sql/fixture.sql: schemas and
# tables whose names need quoting, every common type, text that looks like
# SQL, COPY end markers and dump trailers, functions with nested dollar quotes
# and BEGIN ATOMIC bodies, a rule of several actions, partitions, inheritance,
# views, a materialized view, sequences, identity and generated columns,
# triggers, foreign keys, comments, grants, default privileges, row-level
# security, a large object, an empty, an unlogged and a columnless table, and
# a table of 5000 rows. Its roles (fixture_owner, fixture_reader,
# "Fixture Auditor") are made when the server lacks them.
#
# fixture_dump DB [PG_DUMP_ARGS...] prints pg_dump's output for DB without
# the \restrict and \unrestrict lines, whose key is random: pg_dump 15.14 and
# later write them (15.20 here does), older ones do not, and then nothing is
# deleted. fixture_dumpall [PG_DUMPALL_ARGS...] does the same for pg_dumpall.
# fixture_unrestrict is the filter they use (stdin to stdout).
#
# fixture_counts DB prints what pgcount promises for DB, computed by psql:
# one SCHEMA.TABLE<TAB>ROWS line for each ordinary table and leaf partition
# outside the system schemas (unlogged ones included, extension members
# excluded), names as quote_ident writes them, rows by count(*) FROM ONLY, in
# bytewise order.
#
# fixture_psql DB [PSQL_ARGS...] runs psql -X -q -v ON_ERROR_STOP=1 on DB.

_FIXTURE_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FIXTURE_SQL=$_FIXTURE_LIB/../data/sql/fixture.sql

fixture_psql() {
	local db=$1
	shift
	psql -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"
}

fixture_create() {
	local db=${1:?usage: fixture_create DB}
	psql -X -q -v ON_ERROR_STOP=1 -v db="$db" -d postgres <<<'CREATE DATABASE :"db";' ||
		return 1
	fixture_psql "$db" -f "$FIXTURE_SQL" >/dev/null
}

fixture_unrestrict() {
	sed -E '/^\\(un)?restrict [A-Za-z0-9]+$/d'
}

# _fixture_run_filtered CMD...: CMD's output through fixture_unrestrict,
# failing when CMD fails.
_fixture_run_filtered() {
	local tmp rc=0
	tmp=$(mktemp "${BATS_TEST_TMPDIR:-${TMPDIR:-/tmp}}/fixture-dump.XXXXXX") || return 1
	"$@" >"$tmp" || rc=$?
	if ((rc == 0)); then
		fixture_unrestrict <"$tmp" || rc=$?
	fi
	rm -f "$tmp"
	return $rc
}

fixture_dump() {
	local db=${1:?usage: fixture_dump DB [PG_DUMP_ARGS...]}
	shift
	_fixture_run_filtered pg_dump "$@" -d "$db"
}

fixture_dumpall() {
	_fixture_run_filtered pg_dumpall "$@"
}

fixture_counts() {
	local db=${1:?usage: fixture_counts DB}
	fixture_psql "$db" -At -F $'\t' <<-'SQL' | LC_ALL=C sort
		SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname),
			(xpath('/row/n/text()', query_to_xml(
				format('SELECT count(*) AS n FROM ONLY %I.%I', n.nspname, c.relname),
				false, true, '')))[1]::text
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind = 'r'
			AND n.nspname NOT IN ('pg_catalog', 'information_schema')
			AND n.nspname NOT LIKE 'pg\_toast%'
			AND n.nspname NOT LIKE 'pg\_temp%'
			AND NOT EXISTS (SELECT FROM pg_depend d
				WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
					AND d.deptype = 'e')
	SQL
	return "${PIPESTATUS[0]}"
}

# newdb WHAT [TEMPLATE]: creates database t_<test number>_WHAT (a copy of
# TEMPLATE when given) and prints its name.
newdb() {
	local name="t_${BATS_TEST_NUMBER}_$1"
	psql -X -q -v ON_ERROR_STOP=1 -d postgres \
		-c "CREATE DATABASE $name${2:+ TEMPLATE $2}" >&2 || return 1
	printf '%s\n' "$name"
}

# q SQL DB: psql's unaligned, tuples-only output of SQL in DB.
q() {
	psql -X -A -t -v ON_ERROR_STOP=1 -d "$2" -c "$1"
}
