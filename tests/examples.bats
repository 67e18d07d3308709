#!/usr/bin/env bats
# The runbooks in examples/, run against a real PostgreSQL server and the S3
# server of the run (Ceph RGW).
# shellcheck disable=SC2030,SC2031 # each @test runs in a subshell of its own

load lib/common
load lib/pg
load lib/s3

setup_file() {
	pg_start
	s3_start
	s3_bucket bkpipe-examples
	psql -Xq -v ON_ERROR_STOP=1 <<-'SQL'
		CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL);
		INSERT INTO users SELECT g, 'user' || g || '@example.com' FROM generate_series(1, 50000) g;
	SQL
	pg_dump -d postgres >"$BATS_FILE_TMPDIR/db.sql"
	gzip -c "$BATS_FILE_TMPDIR/db.sql" >"$BATS_FILE_TMPDIR/db.sql.gz"
	app_db
}

teardown_file() {
	s3_stop
	pg_stop
}

setup() {
	EX=$TESTS_DIR/../examples
	D=$BATS_FILE_TMPDIR
	T=$BATS_TEST_TMPDIR
	export BACKUP_PREFIX=s3://$S3_BUCKET/t$BATS_TEST_NUMBER/
	export DATABASE_URL
	DATABASE_URL=$(on app)
	unset RESTORE_SERVER RESTORE_DB VALIDATE_DB BACKUP_NAME_TIME MAIL_TO
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

# ---------------------------------------------------------------------------
# The runbooks (backup.sh, restore.sh, validate.sh, health-check.sh,
# recover-table.sh, retention.sh) against the real PostgreSQL server above
# and the S3 server of the run (Ceph RGW). Each test keeps its backups under
# a prefix of its own, s3://bkpipe-examples/tN/.

# The database the runbooks back up: two schemas, an identity column, a
# table named as Prisma names them ("User"), one without a primary key, and
# text that COPY has to escape.
app_db() {
	psql -Xq -v ON_ERROR_STOP=1 <<-'SQL'
		CREATE DATABASE app;
		\connect app
		CREATE SCHEMA shop;
		CREATE TABLE shop.customers (id int PRIMARY KEY, name text NOT NULL);
		CREATE TABLE shop.orders (
		    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		    customer_id int NOT NULL REFERENCES shop.customers,
		    total numeric(10, 2) NOT NULL,
		    note text);
		CREATE TABLE public."User" (id serial PRIMARY KEY, email text UNIQUE NOT NULL);
		CREATE TABLE shop.log (at timestamptz NOT NULL, line text);
		INSERT INTO shop.customers SELECT g, 'customer ' || g FROM generate_series(1, 1000) g;
		INSERT INTO shop.orders (customer_id, total, note)
		SELECT 1 + g % 1000, g * 1.25, CASE g % 3 WHEN 0 THEN E'tab\there' WHEN 1 THEN E'two\nlines \\ back' END
		FROM generate_series(1, 5000) g;
		INSERT INTO public."User" (email) SELECT 'u' || g || '@example.com' FROM generate_series(1, 300) g;
		INSERT INTO shop.log SELECT '2026-01-01'::timestamptz + g * interval '1 minute', 'line ' || g % 50
		FROM generate_series(1, 200) g;
	SQL
}

# on DB: the URL of database DB on the test server.
on() {
	echo "postgresql://postgres@127.0.0.1:$PGPORT/$1"
}

# sql DB SQL: one value.
sql() {
	psql -XAtq -v ON_ERROR_STOP=1 -d "$(on "$1")" -c "$2"
}

db_exists() {
	[[ $(sql postgres "SELECT count(*) FROM pg_database WHERE datname = '$1'") == 1 ]]
}

# A copy of app for a test that changes it.
app_copy() {
	psql -Xq -v ON_ERROR_STOP=1 -c "CREATE DATABASE $1 TEMPLATE app"
}

# keys: the URLs under this test's prefix, one a line.
keys() {
	s3ls -1 "$BACKUP_PREFIX"
}

# proof URL SUFFIX: where the proof SUFFIX of the backup at URL lives:
# s3://B/KEY -> s3://B/.proofs/KEY followed by SUFFIX (DESIGN.md, "Backup layout").
proof() {
	local rest=${1#s3://}
	echo "s3://${rest%%/*}/.proofs/${rest#*/}$2"
}

# companions URL: the URLs of what backup.sh stores under .proofs/ for the
# backup at URL, in the order s3ls lists them: its counts, its database,
# its roles.
companions() {
	proof "$1" .counts
	proof "$1" .database.sql
	proof "$1" .roles.sql
}

# proof_keys: the URLs of the proofs of this test's backups, one a line.
proof_keys() {
	s3ls -1 "$(proof "$BACKUP_PREFIX")"
}

# put_proof NAME SUFFIX: stores standard input as the proof SUFFIX of the
# backup NAME under this test's prefix.
put_proof() {
	s3put "$(proof "$BACKUP_PREFIX$1" "$2")"
}

# backup [backup.sh ARGS]: a backup of DATABASE_URL; its URL in $url.
backup() {
	url=$("$EX/backup.sh" -q "$@")
	[[ $url == "$BACKUP_PREFIX"* ]]
}

# put NAME: stores standard input as NAME under this test's prefix.
put() {
	s3put "$BACKUP_PREFIX$1"
}

# roles_db DB P: a copy of app named DB, set up as an application's database
# is, with roles of its own named after P: owned by P_owner (and so is
# schema shop and its tables); "P Reader" (a name that needs quotes, a member
# of P_readers, with a setting of its own) may connect and read
# shop.customers, PUBLIC may not connect; settings of its own (work_mem, a
# search_path with a quoted schema, one for "P Reader" in it), a connection
# limit and a comment of two lines with a backslash and a quote.
roles_db() {
	local db=$1 p=$2
	psql -Xq -v ON_ERROR_STOP=1 -v db="$db" -v owner="${p}_owner" -v reader="$p Reader" \
		-v readers="${p}_readers" <<-'SQL'
		CREATE ROLE :"owner" LOGIN PASSWORD 'owner-pw';
		CREATE ROLE :"readers";
		CREATE ROLE :"reader" LOGIN IN ROLE :"readers";
		ALTER ROLE :"reader" SET lock_timeout = '3s';
		CREATE DATABASE :"db" TEMPLATE app OWNER :"owner";
		ALTER DATABASE :"db" SET work_mem = '12MB';
		ALTER DATABASE :"db" SET search_path = shop, public, "My Schema";
		ALTER DATABASE :"db" CONNECTION LIMIT 20;
		ALTER ROLE :"reader" IN DATABASE :"db" SET statement_timeout = '7s';
		REVOKE CONNECT, TEMPORARY ON DATABASE :"db" FROM PUBLIC;
		GRANT CONNECT ON DATABASE :"db" TO :"reader";
		COMMENT ON DATABASE :"db" IS E'two\nlines, a \\ and a '' quote';
		\connect :"db"
		ALTER SCHEMA shop OWNER TO :"owner";
		ALTER TABLE shop.customers OWNER TO :"owner";
		ALTER TABLE shop.orders OWNER TO :"owner";
		GRANT USAGE ON SCHEMA shop TO :"readers";
		GRANT SELECT ON shop.customers TO :"reader";
	SQL
}

# dbstate DB: what a restore must bring back of database DB beyond its
# rows: encoding, locale, owner, connection limit, comment, settings, grants,
# and the owners and grants of schema shop and its tables.
dbstate() {
	psql -XAtq -v ON_ERROR_STOP=1 -v db="$1" <<-'SQL'
		SELECT pg_encoding_to_char(encoding), datcollate, datctype, datlocprovider, coalesce(daticulocale, '-'),
		       pg_get_userbyid(datdba), datconnlimit, shobj_description(oid, 'pg_database')
		FROM pg_database WHERE datname = :'db';
		SELECT coalesce(r.rolname, '-'), array_to_string(s.setconfig, '|')
		FROM pg_db_role_setting s LEFT JOIN pg_roles r ON r.oid = s.setrole
		WHERE s.setdatabase = (SELECT oid FROM pg_database WHERE datname = :'db') ORDER BY 1;
		SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END, a.privilege_type, a.is_grantable
		FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = :'db' ORDER BY 1, 2;
	SQL
	psql -XAtq -v ON_ERROR_STOP=1 -d "$(on "$1")" <<-'SQL'
		SELECT nspname, pg_get_userbyid(nspowner), nspacl FROM pg_namespace WHERE nspname = 'shop';
		SELECT relname, pg_get_userbyid(relowner), relacl FROM pg_class
		WHERE relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = 'shop') AND relkind = 'r' ORDER BY relname;
	SQL
}

# s3put_logged: an s3put on PATH, in $T/bin, that logs the URL of each
# call to $T/s3put.log; and fails for a URL matching $S3PUT_FAIL, as a store
# that refuses it.
s3put_logged() {
	mkdir -p "$T/bin"
	cat >"$T/bin/s3put" <<-EOF
		#!/bin/bash
		url=\${!#}
		echo "\$url" >>"$T/s3put.log"
		if [[ -n \${S3PUT_FAIL:-} && \$url == \$S3PUT_FAIL ]]; then
			cat >/dev/null
			echo "s3put: \$url: AccessDenied: HTTP status 403" >&2
			exit 1
		fi
		exec "$(command -v s3put)" "\$@"
	EOF
	chmod +x "$T/bin/s3put"
}

# --- every runbook -----------------------------------------------------------

@test "runbooks: --help prints the usage, the settings and the exit statuses; a bad option is a usage error" {
	local s
	for s in backup restore validate health-check recover-table retention demo; do
		run -0 --separate-stderr "$EX/$s.sh" --help
		assert_line --index 0 --partial "Usage: "
		[[ $output == *"$s.sh"* ]]
		[[ $output == *"Exit status"* ]]
		if [[ $s == health-check ]]; then
			run -3 --separate-stderr "$EX/$s.sh" --bogus
			assert_output --partial "BACKUP UNKNOWN - health-check.sh: unknown argument: --bogus"
		else
			run -2 --separate-stderr "$EX/$s.sh" --bogus
			[[ $stderr == "$s.sh: "* ]]
		fi
	done
}

@test "runbooks: every setting they read from the environment is in their --help" {
	local s v help
	for s in backup restore validate health-check recover-table retention demo; do
		help=$("$EX/$s.sh" --help)
		for v in $(grep -oE '\$\{[A-Z][A-Z0-9_]*[:}-]' "$EX/$s.sh" | tr -d '${}:-' | sort -u); do
			case $v in PATH | TMPDIR | PGDATABASE) continue ;; esac
			[[ $help == *"$v"* ]] || { echo "$s.sh reads $v, its --help does not say" >&2; return 1; }
		done
	done
}

# --- backup.sh ----------------------------------------------------------------

@test "backup.sh: plain, a dated .sql.gz that reads back as a whole dump, the database's counts next to it" {
	run -0 --separate-stderr "$EX/backup.sh"
	assert_output --regexp "^${BACKUP_PREFIX}[0-9]{4}-[0-9]{2}-[0-9]{2}_[0-9]{2}-[0-9]{2}-[0-9]{2}\.sql\.gz\$"
	url=$output
	[[ $stderr == *"backup.sh: counts: the backup holds the database's 4 tables, 6500 rows"* ]]
	# the prefix holds the backup and nothing else; its counts, roles and
	# database are under .proofs/
	run -0 keys
	assert_output "$url"
	run -0 proof_keys
	assert_output "$(companions "$url")"
	s3get "$url" | gzcat-verify >"$T/dump.sql"
	grep -q '^-- PostgreSQL database dump complete' "$T/dump.sql"
	grep -q '^CREATE TABLE public."User"' "$T/dump.sql"
	s3get "$(proof "$url" .counts)" >"$T/counts"
	pgcount "$DATABASE_URL" | diff - "$T/counts"
	run -0 cat "$T/counts"
	assert_output "$(printf 'public."User"\t300\nshop.customers\t1000\nshop.log\t200\nshop.orders\t5000')"
}

@test "backup.sh --format custom: a .dump archive pg_restore reads, its counts next to it" {
	run -0 --separate-stderr "$EX/backup.sh" --format custom
	assert_output --regexp '\.dump$'
	url=$output
	s3get "$url" | head -c 5 | grep -q '^PGDMP'
	s3get "$url" | pg_restore -l >/dev/null
	s3get "$(proof "$url" .counts)" | diff <(pgcount "$DATABASE_URL") -
	sleep 1
	BACKUP_FORMAT=custom backup
	[[ $url == *.dump ]]
}

@test "backup.sh: a backup of the same name is never overwritten: the second is refused, exit 1, the first kept" {
	mkdir "$T/bin"
	printf '#!/bin/sh\necho 2030-01-01_00-00-00\n' >"$T/bin/date"
	chmod +x "$T/bin/date"
	PATH="$T/bin:$PATH" backup
	first=$(s3get "$url" | sha256sum)
	PATH="$T/bin:$PATH" run -1 --separate-stderr "$EX/backup.sh"
	[[ $stderr == *"s3put: $url: the object exists (--if-none-match): nothing was sent"* ]]
	[[ $stderr == *"backup.sh: the backup failed (s3put exited 1)"* ]]
	[[ $stderr != *deleted* ]]
	run -0 keys
	assert_output "$url"
	run -0 proof_keys
	assert_output "$(companions "$url")"
	assert_equal "$(s3get "$url" | sha256sum)" "$first"
}

@test "backup.sh: a pg_dump that fails leaves no backup behind: exit 1, the failing stage named" {
	PG_DUMP_OPTIONS='--table=no_such_table' run -1 --separate-stderr "$EX/backup.sh"
	assert_output ""
	[[ $stderr == *"pg_dump: error: no matching tables were found"* ]]
	[[ $stderr == *"backup.sh: the backup failed (pg_dump exited 1)"* ]]
	[[ $stderr == *"backup.sh: deleted the unproven backup $BACKUP_PREFIX"*.sql.gz* ]]
	run -0 keys
	assert_output ""
	run -0 proof_keys
	assert_output ""
}

@test "backup.sh: a database it cannot reach: exit 3, nothing stored" {
	DATABASE_URL=postgresql://postgres@127.0.0.1:1/app run -3 --separate-stderr "$EX/backup.sh"
	assert_output ""
	[[ $stderr == *"backup.sh: could not count the rows of the database (pgcount)"* ]]
	run -0 keys
	assert_output ""
}

@test "backup.sh: when the backup's counts differ from the database's, a warning names the tables; the backup's are stored" {
	PG_DUMP_OPTIONS='--exclude-table-data=shop.log' run -0 --separate-stderr "$EX/backup.sh"
	url=$output
	[[ $stderr == *"backup.sh: warning: the database and the backup differ in 1 table"* ]]
	[[ $stderr == *"backup.sh: warning:   shop.log"$'\t'"200"$'\t'"0"* ]]
	run -0 s3get "$(proof "$url" .counts)"
	assert_line "shop.log"$'\t'"0"
}

@test "backup.sh: bad settings are usage errors, exit 2, before anything is stored" {
	run -2 --separate-stderr "$EX/backup.sh" --format tar
	assert_equal "$stderr" "backup.sh: --format must be plain or custom, not 'tar'"
	GZIP_LEVEL=11 run -2 --separate-stderr "$EX/backup.sh"
	assert_equal "$stderr" "backup.sh: GZIP_LEVEL must be 1 to 9, not '11'"
	BACKUP_PREFIX=/var/backups run -2 --separate-stderr "$EX/backup.sh"
	assert_equal "$stderr" "backup.sh: BACKUP_PREFIX must be an s3:// URL, not '/var/backups'"
}

@test "backup.sh: refuses the bucket's root and a prefix under .proofs/, where the proofs would be listed among the backups (exit 2, nothing stored)" {
	BACKUP_PREFIX=s3://$S3_BUCKET run -2 --separate-stderr "$EX/backup.sh"
	assert_output ""
	assert_equal "$stderr" "backup.sh: BACKUP_PREFIX must name a prefix in the bucket, not its root ('s3://$S3_BUCKET/'): the proofs, under .proofs/, would be listed among the backups"
	BACKUP_PREFIX=s3://$S3_BUCKET/.proofs/t$BATS_TEST_NUMBER/ run -2 --separate-stderr "$EX/backup.sh"
	assert_equal "$stderr" "backup.sh: BACKUP_PREFIX must not be under .proofs/ ('s3://$S3_BUCKET/.proofs/t$BATS_TEST_NUMBER/'): that is where the proofs of backups go"
	run -0 s3ls -1 "s3://$S3_BUCKET/.proofs/t$BATS_TEST_NUMBER/"
	assert_output ""
}

@test "backup.sh: beside the counts, the roles (pg_dumpall --roles-only, no passwords) and the database as it was, stored before the counts; bkage takes them for proofs" {
	roles_db bk1 bk1
	s3put_logged
	DATABASE_URL=$(on bk1) PATH="$T/bin:$PATH" backup
	run -0 proof_keys
	assert_output "$(companions "$url")"
	# the counts last: they make the backup proven
	run -0 cat "$T/s3put.log"
	assert_output "$url"$'\n'"$(proof "$url" .roles.sql)"$'\n'"$(proof "$url" .database.sql)"$'\n'"$(proof "$url" .counts)"
	s3get "$(proof "$url" .roles.sql)" >"$T/roles.sql"
	grep -qx 'CREATE ROLE bk1_owner;' "$T/roles.sql"
	grep -qx 'CREATE ROLE "bk1 Reader";' "$T/roles.sql"
	grep -qx 'GRANT bk1_readers TO "bk1 Reader" GRANTED BY postgres;' "$T/roles.sql"
	grep -q '^-- PostgreSQL database cluster dump complete' "$T/roles.sql"
	run grep -E 'PASSWORD|SCRAM-SHA-256|md5[0-9a-f]{32}' "$T/roles.sql"
	assert_failure
	s3get "$(proof "$url" .database.sql)" >"$T/database.sql"
	run -0 awk '!/^-- / || /^-- bkpipe: /' "$T/database.sql"
	assert_output - <<-'EOF2'
		-- bkpipe: create
		CREATE DATABASE :"dbname" WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE_PROVIDER = libc LC_COLLATE = 'C' LC_CTYPE = 'C';
		-- bkpipe: settings
		ALTER DATABASE :"dbname" SET work_mem = '12MB';
		ALTER DATABASE :"dbname" SET search_path = 'shop', 'public', 'My Schema';
		ALTER DATABASE :"dbname" CONNECTION LIMIT 20;
		COMMENT ON DATABASE :"dbname" IS U&'two!000alines, a !005c and a '' quote' UESCAPE '!';
		-- bkpipe: owner and privileges
		ALTER DATABASE :"dbname" OWNER TO bk1_owner;
		REVOKE ALL ON DATABASE :"dbname" FROM PUBLIC;
		REVOKE ALL ON DATABASE :"dbname" FROM bk1_owner;
		GRANT CONNECT ON DATABASE :"dbname" TO "bk1 Reader";
		GRANT CONNECT, CREATE, TEMPORARY ON DATABASE :"dbname" TO bk1_owner;
		ALTER ROLE "bk1 Reader" IN DATABASE :"dbname" SET statement_timeout = '7s';
	EOF2
	# no backslash: psql, which applies it, finds no command of its own in it
	run grep -c '[\]' "$T/database.sql"
	assert_output 0
	# the proofs as bkage reads them: the backup is proven, the newest
	s3ls "$(proof "$BACKUP_PREFIX")" >"$T/proofs"
	s3ls "$BACKUP_PREFIX" >"$T/listing"
	run -0 --separate-stderr bkage --latest --proofs "$T/proofs" "$T/listing"
	assert_output --partial "$url"
	run -0 --separate-stderr bkage -c 1d --proofs "$T/proofs" "$T/listing"
}

@test "backup.sh: BACKUP_ROLE_PASSWORDS=1 keeps the roles' password hashes; another value is a usage error" {
	psql -Xq -c "CREATE ROLE bk2_owner LOGIN PASSWORD 'bk2-pw'"
	BACKUP_ROLE_PASSWORDS=1 backup
	run -0 s3get "$(proof "$url" .roles.sql)"
	assert_line --regexp "^ALTER ROLE bk2_owner WITH .* PASSWORD 'SCRAM-SHA-256\\\$"
	[[ $output != *bk2-pw* ]]
	BACKUP_ROLE_PASSWORDS=yes run -2 --separate-stderr "$EX/backup.sh"
	assert_equal "$stderr" "backup.sh: BACKUP_ROLE_PASSWORDS must be 0 or 1, not 'yes'"
}

@test "backup.sh: a backup whose counts cannot be stored is deleted with its roles and database: exit 1, nothing left" {
	s3put_logged
	S3PUT_FAIL='*.counts' PATH="$T/bin:$PATH" run -1 --separate-stderr "$EX/backup.sh"
	assert_output ""
	[[ $stderr == *"backup.sh: could not store the counts at "*"backup.sh: deleted the unproven backup $BACKUP_PREFIX"* ]] ||
		fail "stderr: $stderr"
	grep -q '\.database\.sql$' "$T/s3put.log"
	run -0 keys
	assert_output ""
	run -0 proof_keys
	assert_output ""
}

# --- restore.sh ---------------------------------------------------------------

@test "restore.sh: the newest backup into a new database, counts compared; its name on stdout" {
	backup
	RESTORE_DB=r_newest run -0 --separate-stderr "$EX/restore.sh"
	assert_output r_newest
	[[ $stderr == *"restore.sh: backup: $url (plain, "* ]]
	[[ $stderr == *"restore.sh: target: the database r_newest, created"* ]]
	[[ $stderr == *"restore.sh: counts match (as stored by backup.sh): 4 tables, 6500 rows"* ]]
	diff <(pgcount "$(on app)") <(pgcount "$(on r_newest)")
	assert_equal "$(sql r_newest 'SELECT note FROM shop.orders WHERE id = 3')" "$(printf 'tab\there')"
}

@test "restore.sh: a custom archive, named by its key, through pg_restore" {
	backup --format custom
	run -0 --separate-stderr "$EX/restore.sh" --into r_custom "${url#"$BACKUP_PREFIX"}"
	assert_output r_custom
	[[ $stderr == *"(custom, "* ]]
	diff <(pgcount "$(on app)") <(pgcount "$(on r_custom)")
}

@test "restore.sh: without a name, the newest proven of several; a newer one without its counts (in progress) is passed over" {
	backup --format custom
	sleep 1
	backup
	RESTORE_DB=r_several run -0 --separate-stderr "$EX/restore.sh"
	[[ $stderr == *"restore.sh: backup: $url (plain, "* ]]
	s3get "$url" | put 2099-01-01_00-00-00.sql.gz
	RESTORE_DB=r_several2 run -0 --separate-stderr "$EX/restore.sh"
	[[ $stderr == *"restore.sh: backup: $url (plain, "* ]]
}

@test "restore.sh: refuses a database that is not empty (exit 2, nothing changed); --clean restores over it" {
	backup
	RESTORE_DB=r_twice run -0 --separate-stderr "$EX/restore.sh"
	sql r_twice 'UPDATE shop.customers SET name = $$changed$$ WHERE id = 1'
	RESTORE_DB=r_twice run -2 --separate-stderr "$EX/restore.sh"
	assert_output ""
	[[ $stderr == *"restore.sh: refusing to restore over the database r_twice: it is not empty"*"--clean"* ]]
	assert_equal "$(sql r_twice 'SELECT name FROM shop.customers WHERE id = 1')" changed
	RESTORE_DB=r_twice run -0 --separate-stderr "$EX/restore.sh" --clean
	assert_equal "$(sql r_twice 'SELECT name FROM shop.customers WHERE id = 1')" "customer 1"
	diff <(pgcount "$(on app)") <(pgcount "$(on r_twice)")
}

@test "restore.sh --clean: a table the backup does not have shows as a difference; a database it did not create is never to be dropped" {
	backup
	RESTORE_DB=r_extra run -0 --separate-stderr "$EX/restore.sh"
	sql r_extra 'CREATE TABLE public.extra AS SELECT 1 AS x'
	RESTORE_DB=r_extra run -1 --separate-stderr "$EX/restore.sh" --clean
	[[ $stderr == *"restore.sh:   public.extra"$'\t'"-"$'\t'"1"* ]]
	[[ $stderr == *"restore.sh: the restore into the database r_extra is committed; look into the tables above"* ]]
	[[ $stderr != *"DROP DATABASE"* ]]
	db_exists r_extra
}

@test "restore.sh: a damaged backup commits nothing: exit 1, the stage named, the new database dropped, the backup marked damaged; the next restore takes the proven one before it" {
	backup
	s3get "$url" | head -c -200 | put 2099-01-01_00-00-00.sql.gz
	s3get "$(proof "$url" .counts)" | put_proof 2099-01-01_00-00-00.sql.gz .counts
	RESTORE_DB=r_damaged run -1 --separate-stderr "$EX/restore.sh"
	assert_output ""
	[[ $stderr == *"gzcat-verify: "*"unexpected end of input"* ]]
	[[ $stderr == *"restore.sh: the restore failed (gzcat-verify exited 1"* ]]
	[[ $stderr == *"restore.sh: marked ${BACKUP_PREFIX}2099-01-01_00-00-00.sql.gz damaged ($(proof "${BACKUP_PREFIX}2099-01-01_00-00-00.sql.gz" .damaged))"* ]]
	[[ $stderr == *"restore.sh: nothing was committed to the database r_damaged"* ]]
	[[ $stderr == *"restore.sh: dropped the database r_damaged it had created"* ]]
	run ! db_exists r_damaged
	run -0 s3get "$(proof "${BACKUP_PREFIX}2099-01-01_00-00-00.sql.gz" .damaged)"
	assert_output --regexp '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z restore.sh: the restore failed: gzcat-verify: .*unexpected end of input'
	RESTORE_DB=r_damaged run -0 --separate-stderr "$EX/restore.sh"
	[[ $stderr == *"restore.sh: backup: $url (plain, "* ]]
}

@test "restore.sh: a failure of the database or the network marks nothing damaged" {
	backup
	mkdir "$T/bin"
	local real_s3get
	real_s3get=$(command -v s3get)
	# the server refuses a statement
	cat >"$T/bin/pgfeed" <<-EOF
		#!/bin/sh
		cat >/dev/null
		echo 'pgfeed: line 36 (TABLE shop.log): ERROR 42501: permission denied for schema shop' >&2
		exit 1
	EOF
	# the network fails in the middle of the backup (the counts still read)
	cat >"$T/bin/s3get" <<-EOF
		#!/bin/sh
		case \$1 in *.counts | *.roles.sql | *.database.sql) exec "$real_s3get" "\$@" ;; esac
		"$real_s3get" "\$@" | head -c 2000
		echo 's3get: $url: GET: Connection reset by peer (after 5 attempts)' >&2
		exit 3
	EOF
	chmod +x "$T/bin/pgfeed" "$T/bin/s3get"
	PATH="$T/bin:$PATH" RESTORE_DB=r_refused run -3 --separate-stderr "$EX/restore.sh"
	[[ $stderr == *"restore.sh: the restore failed (s3get exited 3, gzcat-verify exited 1"* ]] || fail "stderr: $stderr"
	rm "$T/bin/s3get"
	PATH="$T/bin:$PATH" RESTORE_DB=r_refused run -1 --separate-stderr "$EX/restore.sh"
	[[ $stderr == *"restore.sh: the restore failed (pgfeed -1 exited 1)"* ]] || fail "stderr: $stderr"
	[[ $stderr != *"marked"* ]]
	run -0 proof_keys
	assert_output "$(companions "$url")"
}

@test "restore.sh: a dump cut short before compression commits nothing to an existing database (pgfeed -1)" {
	backup
	s3get "$url" | gzcat-verify | head -n 120 | gzip | put 2099-01-01_00-00-00.sql.gz
	s3get "$(proof "$url" .counts)" | put_proof 2099-01-01_00-00-00.sql.gz .counts
	psql -Xq -c 'CREATE DATABASE r_short'
	RESTORE_DB=r_short run -1 --separate-stderr "$EX/restore.sh"
	[[ $stderr == *"pgfeed: "*"input is truncated"* ]]
	[[ $stderr == *"restore.sh: the restore failed (pgfeed -1 exited 1)"* ]]
	[[ $stderr == *"restore.sh: marked ${BACKUP_PREFIX}2099-01-01_00-00-00.sql.gz damaged"* ]]
	db_exists r_short
	assert_equal "$(sql r_short "SELECT count(*) FROM pg_class WHERE relnamespace IN
		(SELECT oid FROM pg_namespace WHERE nspname IN ('public', 'shop'))")" 0
	assert_equal "$(sql r_short "SELECT count(*) FROM pg_namespace WHERE nspname = 'shop'")" 0
}

@test "restore.sh: counts that differ: exit 1, each difference printed, the database kept" {
	backup
	s3get "$(proof "$url" .counts)" | sed 's/^shop.orders\t5000$/shop.orders\t5001/' >"$T/counts"
	put_proof "${url#"$BACKUP_PREFIX"}" .counts <"$T/counts"
	RESTORE_DB=r_counts run -1 --separate-stderr "$EX/restore.sh"
	[[ $stderr == *"restore.sh: the counts differ from the backup's (as stored by backup.sh) in 1 table:"* ]]
	[[ $stderr == *"restore.sh:   shop.orders"$'\t'"5001"$'\t'"5000"* ]]
	[[ $stderr == *"restore.sh: the database r_counts is kept for inspection; drop it when done: DROP DATABASE r_counts"* ]]
	db_exists r_counts
}

@test "restore.sh: a backup without .counts, named, is counted itself, with a warning; unnamed, it is not taken" {
	backup --format custom
	s3rm "$(proof "$url" .counts)"
	RESTORE_DB=r_uncounted run -1 --separate-stderr "$EX/restore.sh"
	assert_equal "$stderr" "restore.sh: $BACKUP_PREFIX: no proven backup among 1 listed: 0 damaged, 1 unproven"
	RESTORE_DB=r_uncounted run -0 --separate-stderr "$EX/restore.sh" "$url"
	[[ $stderr == *"restore.sh: warning: no $(proof "$url" .counts): the backup was not proven by backup.sh; counting the backup itself"* ]]
	[[ $stderr == *"restore.sh: counts match (as counted in the backup): 4 tables, 6500 rows"* ]]
}

@test "restore.sh: no backup there is exit 1; a name it cannot tell the format of, exit 2; a missing one, exit 1" {
	run -1 --separate-stderr "$EX/restore.sh"
	assert_equal "$stderr" "restore.sh: $BACKUP_PREFIX: no proven backup among 0 listed: 0 damaged, 0 unproven"
	run -2 --separate-stderr "$EX/restore.sh" backup.tar
	assert_equal "$stderr" "restore.sh: ${BACKUP_PREFIX}backup.tar: cannot tell the format by the name: .sql.gz (plain) or .dump (custom)"
	run -1 --separate-stderr "$EX/restore.sh" 2020-01-01_00-00-00.sql.gz
	assert_equal "$stderr" "restore.sh: ${BACKUP_PREFIX}2020-01-01_00-00-00.sql.gz: no such backup (list them with: s3ls $BACKUP_PREFIX)"
	RESTORE_DB='x;drop' run -2 --separate-stderr "$EX/restore.sh"
	[[ $stderr == "restore.sh: the database name must be letters, digits and _"* ]]
}

@test "restore.sh: RESTORE_SERVER names the server; no password is printed, by backup.sh either" {
	psql -Xq -c "ALTER USER postgres PASSWORD 's3cr3t-pw'"
	DATABASE_URL="postgresql://postgres:s3cr3t-pw@127.0.0.1:$PGPORT/app" run -0 --separate-stderr "$EX/backup.sh"
	[[ $output$stderr != *s3cr3t* ]]
	DATABASE_URL="postgresql://postgres:s3cr3t-pw@127.0.0.1:1/app" run -3 --separate-stderr "$EX/backup.sh"
	[[ $output$stderr != *s3cr3t* ]]
	RESTORE_SERVER="postgresql://postgres:s3cr3t-pw@127.0.0.1:$PGPORT/postgres?application_name=x" \
		RESTORE_DB=r_server run -0 --separate-stderr "$EX/restore.sh"
	assert_output r_server
	[[ $stderr != *s3cr3t* ]]
	RESTORE_SERVER="host=127.0.0.1 port=$PGPORT user=postgres password=s3cr3t-pw dbname=postgres" \
		RESTORE_DB=r_server_kv run -0 --separate-stderr "$EX/restore.sh" --clean
	[[ $stderr != *s3cr3t* ]]
	db_exists r_server_kv
}

@test "restore.sh --no-owner: the restored objects belong to the restoring user, both formats" {
	app_copy owned
	psql -Xq -c 'CREATE ROLE appowner' -c 'GRANT ALL ON DATABASE owned TO appowner'
	sql owned 'ALTER TABLE shop.log OWNER TO appowner'
	owner() { sql "$1" "SELECT tableowner FROM pg_tables WHERE schemaname = 'shop' AND tablename = 'log'"; }
	DATABASE_URL=$(on owned) backup
	RESTORE_DB=r_owner_kept run -0 --separate-stderr "$EX/restore.sh" "$url"
	assert_equal "$(owner r_owner_kept)" appowner
	RESTORE_DB=r_owner_plain run -0 --separate-stderr "$EX/restore.sh" --no-owner "$url"
	assert_equal "$(owner r_owner_plain)" postgres
	DATABASE_URL=$(on owned) backup --format custom
	RESTORE_NO_OWNER=1 RESTORE_DB=r_owner_custom run -0 --separate-stderr "$EX/restore.sh" "$url"
	assert_equal "$(owner r_owner_custom)" postgres
}

@test "restore.sh: COUNT_TOLERANCE lets through differences within it, and only those" {
	backup
	s3get "$(proof "$url" .counts)" | sed 's/^shop.orders\t5000$/shop.orders\t5010/' >"$T/counts"
	put_proof "${url#"$BACKUP_PREFIX"}" .counts <"$T/counts"
	COUNT_TOLERANCE=1% RESTORE_DB=r_tolerant run -0 --separate-stderr "$EX/restore.sh"
	COUNT_TOLERANCE=0.1% RESTORE_DB=r_intolerant run -1 --separate-stderr "$EX/restore.sh"
	[[ $stderr == *"restore.sh:   shop.orders"$'\t'"5010"$'\t'"5000"* ]]
}

@test "restore.sh: into a new name on the same server, the database as it was: encoding, locale, settings, connection limit, comment, owner and grants; the objects keep their owners and grants" {
	roles_db rs1 rs1
	DATABASE_URL=$(on rs1) backup
	RESTORE_DB=rs1_new run -0 --separate-stderr "$EX/restore.sh"
	assert_output rs1_new
	[[ $stderr == *"restore.sh: roles: every role of the backup exists on the server, left as it is"* ]] || fail "stderr: $stderr"
	[[ $stderr == *"restore.sh: target: the database rs1_new, created as the backup's was: its encoding, locale, settings, owner and grants"* ]]
	[[ $stderr == *"restore.sh: counts match (as stored by backup.sh)"* ]]
	diff <(dbstate rs1) <(dbstate rs1_new)
	# as the application sees it: "rs1 Reader" connects, with its settings, and reads
	run -0 psql -XAtq -d "postgresql://rs1%20Reader@127.0.0.1:$PGPORT/rs1_new" \
		-c 'SHOW work_mem' -c 'SHOW statement_timeout' -c 'SHOW lock_timeout' -c 'SELECT count(*) FROM customers'
	assert_output $'12MB\n7s\n3s\n1000'
	# and a role without CONNECT does not connect (REVOKE ... FROM PUBLIC)
	psql -Xq -c 'CREATE ROLE rs1_other LOGIN'
	run -2 --separate-stderr psql -XAtq -d "postgresql://rs1_other@127.0.0.1:$PGPORT/rs1_new" -c 'SELECT 1'
	[[ $stderr == *"permission denied for database"* ]] || fail "stderr: $stderr"
}

@test "restore.sh: a role dropped since the backup is created again, with its membership and settings; a role that exists is left as it is" {
	roles_db rs2 rs2
	DATABASE_URL=$(on rs2) backup
	dbstate rs2 >"$T/before"
	psql -Xq -v ON_ERROR_STOP=1 <<-'SQL'
		DROP DATABASE rs2;
		DROP ROLE "rs2 Reader";
		ALTER ROLE rs2_owner CONNECTION LIMIT 3;
	SQL
	RESTORE_DB=rs2 run -0 --separate-stderr "$EX/restore.sh"
	[[ $stderr == *'restore.sh: roles: created "rs2 Reader"; the others of the backup exist, left as they are'* ]] ||
		fail "stderr: $stderr"
	dbstate rs2 | diff "$T/before" -
	assert_equal "$(sql postgres "SELECT rolcanlogin, rolconfig, pg_has_role('rs2 Reader', 'rs2_readers', 'MEMBER')
		FROM pg_roles WHERE rolname = 'rs2 Reader'")" 't|{lock_timeout=3s}|t'
	# changed since the backup, and not changed back
	assert_equal "$(sql postgres "SELECT rolconnlimit FROM pg_roles WHERE rolname = 'rs2_owner'")" 3
	# no password: backup.sh did not keep them
	assert_equal "$(sql postgres "SELECT rolpassword IS NULL FROM pg_authid WHERE rolname = 'rs2 Reader'")" t
}

@test "restore.sh: a KEY.database.sql that holds a backslash (a psql command) is refused: exit 1, the command not run, no database created" {
	backup
	printf -- '-- bkpipe: create\nCREATE DATABASE :"dbname";\n\\! touch %s\n' "$T/ran" |
		put_proof "${url#"$BACKUP_PREFIX"}" .database.sql
	RESTORE_DB=rs3 run -1 --separate-stderr "$EX/restore.sh"
	[[ $stderr == *"restore.sh: $(proof "$url" .database.sql) holds a backslash, which backup.sh never writes and psql would take for a command: not applied"* ]] ||
		fail "stderr: $stderr"
	[[ ! -e $T/ran ]]
	run ! db_exists rs3
}

@test "restore.sh: a backup without KEY.roles.sql and KEY.database.sql (made before 0.2) is restored with the server's defaults, and warnings" {
	backup
	s3rm "$(proof "$url" .roles.sql)" "$(proof "$url" .database.sql)"
	RESTORE_DB=rs4 run -0 --separate-stderr "$EX/restore.sh"
	[[ $stderr == *"restore.sh: warning: no $(proof "$url" .database.sql) (a backup made before bkpipe 0.2, or not by backup.sh): the database gets the server's defaults, not the backup's settings and grants"* ]] ||
		fail "stderr: $stderr"
	[[ $stderr == *"restore.sh: warning: no $(proof "$url" .roles.sql) (a backup made before bkpipe 0.2, or not by backup.sh): the roles that own the backup's objects must exist on the server, or restore with --no-owner"* ]]
	[[ $stderr == *"restore.sh: target: the database rs4, created"$'\n'* ]]
	diff <(pgcount "$(on app)") <(pgcount "$(on rs4)")
}

@test "restore.sh --no-owner: no role created; the database gets its encoding, locale and settings, not its owner and grants" {
	roles_db rs5 rs5
	DATABASE_URL=$(on rs5) backup
	psql -Xq -c 'DROP DATABASE rs5' -c 'DROP ROLE "rs5 Reader"'
	RESTORE_DB=rs5 run -0 --separate-stderr "$EX/restore.sh" --no-owner
	[[ $stderr == *"restore.sh: target: the database rs5, created as the backup's was: its encoding, locale and settings (--no-owner)"* ]] ||
		fail "stderr: $stderr"
	[[ $stderr != *"roles:"* ]]
	assert_equal "$(sql postgres "SELECT count(*) FROM pg_roles WHERE rolname = 'rs5 Reader'")" 0
	assert_equal "$(sql postgres "SELECT pg_get_userbyid(datdba), datacl IS NULL, datconnlimit FROM pg_database WHERE datname = 'rs5'")" 'postgres|t|20'
	assert_equal "$(sql rs5 'SHOW work_mem')" 12MB
	assert_equal "$(sql rs5 "SELECT tableowner FROM pg_tables WHERE tablename = 'customers'")" postgres
}

@test "restore.sh: a database the server cannot create as it was (a locale it lacks): exit 1, nothing left; created by hand, empty, it gets the settings" {
	roles_db rs7 rs7
	DATABASE_URL=$(on rs7) backup
	s3get "$(proof "$url" .database.sql)" | sed "s/LC_COLLATE = 'C'/LC_COLLATE = 'xx_XX.UTF-8'/" |
		put_proof "${url#"$BACKUP_PREFIX"}" .database.sql
	RESTORE_DB=rs7_new run -1 --separate-stderr "$EX/restore.sh"
	[[ $stderr == *"restore.sh: could not create the database rs7_new as the backup's was ($(proof "$url" .database.sql)); for a locale or a tablespace this server lacks, create rs7_new by hand and run again"* ]] ||
		fail "stderr: $stderr"
	run ! db_exists rs7_new
	psql -Xq -c 'CREATE DATABASE rs7_new TEMPLATE template0'
	RESTORE_DB=rs7_new run -0 --separate-stderr "$EX/restore.sh"
	[[ $stderr == *"restore.sh: target: the database rs7_new, empty"* ]]
	diff <(dbstate rs7) <(dbstate rs7_new)
}

@test "restore.sh: a LATIN1 database and an ICU one come back with their encoding and locale" {
	psql -Xq -v ON_ERROR_STOP=1 <<-'SQL'
		CREATE DATABASE rs6_latin1 TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C';
		CREATE DATABASE rs6_icu TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'de-DE' LOCALE 'C';
	SQL
	local db
	for db in rs6_latin1 rs6_icu; do
		sql "$db" "CREATE TABLE words AS SELECT 'café' AS w"
		DATABASE_URL=$(on "$db") backup
		RESTORE_DB=${db}_new run -0 --separate-stderr "$EX/restore.sh"
		diff <(dbstate "$db") <(dbstate "${db}_new")
		assert_equal "$(sql "${db}_new" 'SELECT w FROM words')" café
	done
	assert_equal "$(sql postgres "SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = 'rs6_latin1_new'")" LATIN1
	assert_equal "$(sql postgres "SELECT datlocprovider::text || daticulocale FROM pg_database WHERE datname = 'rs6_icu_new'")" ide-DE
}

# --- validate.sh --------------------------------------------------------------

@test "validate.sh: the newest backup passes; the scratch database is gone; -q prints nothing" {
	backup
	VALIDATE_DB=v_ok run -0 --separate-stderr "$EX/validate.sh"
	[[ $stderr == *"validate.sh: OK: $url restores in "*"and its counts match; scratch database v_ok dropped"* ]]
	# No NOTICE of the server's reaches cron's mail.
	[[ $stderr != *NOTICE* ]]
	run ! db_exists v_ok
	run -0 --separate-stderr "$EX/validate.sh" -q
	assert_equal "$stderr" ""
	assert_output ""
}

@test "validate.sh: a damaged backup fails, exit 1, the report shown even with -q, the scratch database gone" {
	backup --format custom
	s3get "$url" | head -c -100 | put 2099-01-01_00-00-00.dump
	s3get "$(proof "$url" .counts)" | put_proof 2099-01-01_00-00-00.dump .counts
	VALIDATE_DB=v_damaged run -1 --separate-stderr "$EX/validate.sh" -q
	[[ $stderr == *"pg_restore: "* ]]
	[[ $stderr == *"restore.sh: the restore failed (pg_restore -1 exited 1)"* ]]
	[[ $stderr == *"restore.sh: marked ${BACKUP_PREFIX}2099-01-01_00-00-00.dump damaged"* ]]
	[[ $stderr == *"validate.sh: FAILED: ${BACKUP_PREFIX}2099-01-01_00-00-00.dump did not pass the test restore (exit 1, after "* ]]
	run ! db_exists v_damaged
	# the next run takes the proven one before it
	VALIDATE_DB=v_damaged run -0 --separate-stderr "$EX/validate.sh"
	[[ $stderr == *"validate.sh: OK: $url restores in "* ]]
}

@test "validate.sh: a damaged newest backup (bad bytes stored over it) is marked damaged; health-check.sh goes CRITICAL naming it; restore.sh then restores the proven one before it" {
	backup
	local older=$url
	sleep 1
	backup
	# the newest, overwritten with one byte changed in the middle of its gzip data
	s3get "$url" >"$T/good.gz"
	local size
	size=$(stat -c %s "$T/good.gz")
	{ head -c $((size / 2)) "$T/good.gz"; printf '\x5a'; tail -c +$((size / 2 + 2)) "$T/good.gz"; } >"$T/bad.gz"
	s3put "$url" <"$T/bad.gz"
	run -0 --separate-stderr "$EX/health-check.sh" --nagios
	VALIDATE_DB=v_newest run -1 --separate-stderr "$EX/validate.sh" -q
	[[ $stderr == *"gzcat-verify: "*"corrupted"* || $stderr == *"gzcat-verify: "*"invalid"* ]] || fail "stderr: $stderr"
	[[ $stderr == *"restore.sh: marked $url damaged"* ]] || fail "stderr: $stderr"
	run -0 s3get "$(proof "$url" .damaged)"
	assert_output --regexp "Z restore.sh: the restore failed: gzcat-verify: "
	# the prefix still lists the backups only
	run -0 keys
	assert_output "$older"$'\n'"$url"
	run -2 --separate-stderr "$EX/health-check.sh" --nagios
	assert_output --regexp "^BKAGE CRITICAL - newest proven $older is .*, $url, newer, was found damaged \|"
	# --prometheus exits 0 once the metrics are written: they carry the status
	run -0 --separate-stderr "$EX/health-check.sh" --prometheus "$T/bkpipe.prom"
	run -0 grep -E '^bkpipe_backup_(newest_damaged|status) ' "$T/bkpipe.prom"
	assert_output $'bkpipe_backup_newest_damaged 1\nbkpipe_backup_status 2'
	RESTORE_DB=r_older run -0 --separate-stderr "$EX/restore.sh"
	[[ $stderr == *"restore.sh: backup: $older (plain, "* ]]
	diff <(pgcount "$(on app)") <(pgcount "$(on r_older)")
	VALIDATE_DB=v_newest run -0 --separate-stderr "$EX/validate.sh" -q
}

@test "validate.sh: counts that differ fail, exit 1; the scratch database is dropped all the same" {
	backup
	s3get "$(proof "$url" .counts)" | sed 's/^shop.log\t200$/shop.log\t199/' >"$T/counts"
	put_proof "${url#"$BACKUP_PREFIX"}" .counts <"$T/counts"
	VALIDATE_DB=v_counts run -1 --separate-stderr "$EX/validate.sh" "$url"
	[[ $stderr == *"restore.sh:   shop.log"$'\t'"199"$'\t'"200"* ]]
	[[ $stderr == *"validate.sh: marked $url damaged"* ]]
	[[ $stderr == *"validate.sh: FAILED: $url did not pass"* ]]
	run ! db_exists v_counts
	run -0 s3get "$(proof "$url" .damaged)"
	assert_output --regexp "Z validate.sh: the test restore failed: the counts differ from the backup's"
}

@test "validate.sh: no backup at all is a failure, exit 1" {
	run -1 --separate-stderr "$EX/validate.sh" -q
	assert_equal "$stderr" "validate.sh: $BACKUP_PREFIX: no proven backup among 0 listed: 0 damaged, 0 unproven"$'\n'"validate.sh: FAILED: no backup to validate"
}

# --- health-check.sh ----------------------------------------------------------

@test "health-check.sh --nagios: a fresh proven backup is OK, with perfdata" {
	backup
	run -0 --separate-stderr "$EX/health-check.sh" --nagios
	assert_output --regexp "^BKAGE OK - newest proven $url is [0-9]+s old, .* 1 proven backup \(0 damaged, 0 unproven\) \| age=[0-9]+s;;93600 size=[0-9]+B count=1 damaged=0 unproven=0\$"
}

@test "health-check.sh (cron): silent when OK; an old backup is CRITICAL, the report printed, exit 2" {
	backup
	run -0 --separate-stderr "$EX/health-check.sh"
	assert_output ""
	assert_equal "$stderr" ""
	s3get "$url" | put 2020-01-01_03-00-00.sql.gz
	s3get "$(proof "$url" .counts)" | put_proof 2020-01-01_03-00-00.sql.gz .counts
	s3rm "$url" "$(proof "$url" .counts)"
	BACKUP_NAME_TIME=%Y-%m-%d_%H-%M-%S run -2 --separate-stderr "$EX/health-check.sh"
	assert_output --regexp "^BKAGE CRITICAL - newest proven ${BACKUP_PREFIX}2020-01-01_03-00-00.sql.gz is .* older than 26h"
}

@test "health-check.sh: no proven backup under the prefix is CRITICAL, never OK" {
	run -2 --separate-stderr "$EX/health-check.sh" --nagios
	assert_output --partial "BKAGE CRITICAL - no backups found"
	printf 'not a backup' | put notes.txt
	run -2 --separate-stderr "$EX/health-check.sh" --nagios
	assert_output --partial "BKAGE CRITICAL - no proven backup among 1 listed: 0 damaged, 1 unproven"
}

@test "health-check.sh: a listing that fails is CRITICAL, and the first line says why" {
	BACKUP_PREFIX=s3://bkpipe-no-such-bucket/db/ run -2 --separate-stderr "$EX/health-check.sh" --nagios
	assert_line --index 0 --regexp "^BKAGE CRITICAL - could not list s3://bkpipe-no-such-bucket/db/ \(s3ls exited 1\): s3ls: .*NoSuchBucket"
}

@test "health-check.sh --prometheus FILE: the metrics written, exit 0, promtool accepts them" {
	backup
	run -0 --separate-stderr "$EX/health-check.sh" --prometheus "$T/bkpipe.prom"
	assert_output ""
	run -0 grep -E '^bkpipe_(backup_status|backups_found) ' "$T/bkpipe.prom"
	assert_output $'bkpipe_backups_found 1\nbkpipe_backup_status 0'
	if command -v promtool >/dev/null; then
		promtool check metrics <"$T/bkpipe.prom"
	fi
	BACKUP_PREFIX=s3://bkpipe-no-such-bucket/ run -2 --separate-stderr "$EX/health-check.sh" --prometheus "$T/bkpipe.prom"
	[[ $stderr == *"health-check.sh: could not list s3://bkpipe-no-such-bucket/"* ]]
	run -0 grep -E '^bkpipe_(backup_status|backups_found) ' "$T/bkpipe.prom"
	assert_output $'bkpipe_backups_found 0\nbkpipe_backup_status 2'
}

@test "health-check.sh: MAIL_TO mails the report of a backup that is not OK, and prints nothing" {
	mkdir "$T/bin"
	cat >"$T/bin/mail" <<-EOF
		#!/bin/sh
		printf '%s\n' "\$@" >"$T/mail.args"
		cat >"$T/mail.body"
	EOF
	chmod +x "$T/bin/mail"
	backup
	MAIL_TO=dba@example.com HEALTH_MIN_SIZE=1G PATH="$T/bin:$PATH" run -2 --separate-stderr "$EX/health-check.sh"
	assert_output ""
	run -0 cat "$T/mail.args"
	assert_output $'-s\nbackup CRITICAL: '"$BACKUP_PREFIX"$'\ndba@example.com'
	run -0 cat "$T/mail.body"
	assert_output --partial "BKAGE CRITICAL - newest proven $url"
}

# --- recover-table.sh ---------------------------------------------------------

@test "recover-table.sh: after a DELETE, TABLE_restored and the SQL that puts back exactly the missing rows" {
	app_copy rec1
	DATABASE_URL=$(on rec1) backup
	sql rec1 'UPDATE shop.orders SET total = 0 WHERE id = 300'
	sql rec1 'DELETE FROM shop.orders WHERE id BETWEEN 1 AND 250'
	DATABASE_URL=$(on rec1) run -0 --separate-stderr "$EX/recover-table.sh" shop.orders
	[[ $stderr == *"recover-table.sh: restored 5000 rows of shop.orders into shop.orders_restored"* ]]
	[[ $stderr == *"recover-table.sh: 250 of them are missing from shop.orders now, by the primary key (id)"* ]]
	[[ $output == *"INSERT INTO shop.orders (id, customer_id, total, note)"$'\n'"OVERRIDING SYSTEM VALUE"* ]]
	[[ $output == *"WHERE NOT EXISTS (SELECT FROM shop.orders AS t WHERE t.id = r.id);"* ]]
	printf '%s\n' "$output" >"$T/put-back.sql"
	run -0 psql -X -v ON_ERROR_STOP=1 -1 -f "$T/put-back.sql" -d "$(on rec1)"
	assert_output "INSERT 0 250"
	assert_equal "$(sql rec1 'SELECT count(*) FROM shop.orders')" 5000
	assert_equal "$(sql rec1 'SELECT count(*) FROM shop.orders_restored')" 5000
	assert_equal "$(sql rec1 'SELECT total FROM shop.orders WHERE id = 300')" 0.00
	assert_equal "$(sql rec1 'SELECT count(*) FROM shop.orders o JOIN shop.orders_restored r USING (id)
		WHERE (o.customer_id, o.total, o.note) IS DISTINCT FROM (r.customer_id, r.total, r.note)')" 1
}

@test "recover-table.sh: from a custom archive, into a name of one's own" {
	app_copy rec2
	DATABASE_URL=$(on rec2) backup --format custom
	sql rec2 'DELETE FROM shop.orders WHERE id > 4990'
	DATABASE_URL=$(on rec2) run -0 --separate-stderr "$EX/recover-table.sh" --into public.orders_back shop.orders
	[[ $stderr == *"restored 5000 rows of shop.orders into public.orders_back"* ]]
	[[ $stderr == *"10 of them are missing from shop.orders now, by the primary key (id)"* ]]
	printf '%s\n' "$output" | psql -XAtq -v ON_ERROR_STOP=1 -1 -d "$(on rec2)"
	sql rec2 'DROP TABLE public.orders_back'
	diff <(pgcount "$(on app)") <(pgcount "$(on rec2)")
}

@test "recover-table.sh: a table named in capitals (\"User\"), and one without a primary key (EXCEPT ALL)" {
	app_copy rec3
	DATABASE_URL=$(on rec3) backup
	sql rec3 'DELETE FROM public."User" WHERE id % 3 = 0'
	sql rec3 'DELETE FROM shop.log WHERE line = $$line 7$$'
	DATABASE_URL=$(on rec3) run -0 --separate-stderr "$EX/recover-table.sh" 'public."User"'
	[[ $stderr == *'restored 300 rows of public."User" into public."User_restored"'* ]]
	[[ $stderr == *'100 of them are missing from public."User" now'* ]]
	printf '%s\n' "$output" | psql -XAtq -v ON_ERROR_STOP=1 -1 -d "$(on rec3)"
	DATABASE_URL=$(on rec3) run -0 --separate-stderr "$EX/recover-table.sh" shop.log
	[[ $stderr == *"4 of them are missing from shop.log now, comparing whole rows"* ]]
	[[ $output == *"EXCEPT ALL"* ]]
	printf '%s\n' "$output" | psql -XAtq -v ON_ERROR_STOP=1 -1 -d "$(on rec3)"
	sql rec3 'DROP TABLE public."User_restored", shop.log_restored'
	diff <(pgcount "$(on app)") <(pgcount "$(on rec3)")
}

@test "recover-table.sh: no primary key but an identity column: EXCEPT ALL, OVERRIDING SYSTEM VALUE" {
	app_copy rec7
	sql rec7 'CREATE TABLE shop.tally (n int GENERATED ALWAYS AS IDENTITY, word text)'
	sql rec7 'INSERT INTO shop.tally (word) SELECT $$w$$ || g % 7 FROM generate_series(1, 100) g'
	DATABASE_URL=$(on rec7) backup --format custom
	sql rec7 'DELETE FROM shop.tally WHERE n > 90'
	DATABASE_URL=$(on rec7) run -0 --separate-stderr "$EX/recover-table.sh" shop.tally
	[[ $stderr == *"10 of them are missing from shop.tally now, comparing whole rows"* ]]
	[[ $output == *"INSERT INTO shop.tally (n, word)"$'\n'"OVERRIDING SYSTEM VALUE"$'\n'"SELECT n, word FROM shop.tally_restored"$'\n'"EXCEPT ALL"* ]]
	printf '%s\n' "$output" | psql -XAtq -v ON_ERROR_STOP=1 -1 -d "$(on rec7)"
	assert_equal "$(sql rec7 'SELECT count(*), sum(n) FROM shop.tally')" "100|5050"
}

@test "recover-table.sh: refuses a TABLE_restored that exists (exit 2); a table not in the database, exit 1" {
	app_copy rec4
	DATABASE_URL=$(on rec4) backup
	sql rec4 'CREATE TABLE shop.customers_restored (x int)'
	DATABASE_URL=$(on rec4) run -2 --separate-stderr "$EX/recover-table.sh" shop.customers
	assert_output ""
	assert_equal "$stderr" "recover-table.sh: shop.customers_restored exists already (from an earlier recovery?): drop it, or name another with --into"
	DATABASE_URL=$(on rec4) run -1 --separate-stderr "$EX/recover-table.sh" shop.nothing
	[[ $stderr == "recover-table.sh: shop.nothing: no such table in the database;"*"s3get $url | gzcat-verify | pgfeed -1 -t 'shop.nothing' --with-indexes"* ]]
	run -2 --separate-stderr "$EX/recover-table.sh"
	assert_equal "$stderr" "recover-table.sh: which table? (see --help)"
}

@test "recover-table.sh: a table created after the backup is not in it: exit 1, nothing left behind" {
	app_copy rec5
	DATABASE_URL=$(on rec5) backup
	sql rec5 'CREATE TABLE shop.newer (id int PRIMARY KEY)'
	DATABASE_URL=$(on rec5) run -1 --separate-stderr "$EX/recover-table.sh" shop.newer
	# pgfeed says "no table matched -t" itself, or restores nothing and the
	# runbook says so.
	[[ $stderr == *"pgfeed: "*"no table matched"* || $stderr == *"recover-table.sh: shop.newer is not in the backup $url"* ]]
	assert_equal "$(sql rec5 "SELECT to_regclass('shop.newer_restored') IS NULL")" t
}

@test "recover-table.sh: a partitioned table is refused (exit 2) with its partitions named; a partition is recovered" {
	app_copy rec6
	psql -Xq -v ON_ERROR_STOP=1 -d "$(on rec6)" <<-'SQL'
		CREATE TABLE shop.events (id int, at date NOT NULL, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
		CREATE TABLE shop.events_2025 PARTITION OF shop.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
		CREATE TABLE shop.events_2026 PARTITION OF shop.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
		INSERT INTO shop.events SELECT g, '2025-01-01'::date + g FROM generate_series(1, 700) g;
	SQL
	DATABASE_URL=$(on rec6) backup
	sql rec6 "DELETE FROM shop.events WHERE at >= '2026-01-01' AND id % 2 = 0"
	DATABASE_URL=$(on rec6) run -2 --separate-stderr "$EX/recover-table.sh" shop.events
	assert_equal "$stderr" "recover-table.sh: shop.events is partitioned: its rows are in its partitions; recover the ones that lost rows, one by one: recover-table.sh shop.events_2025; recover-table.sh shop.events_2026"
	DATABASE_URL=$(on rec6) run -0 --separate-stderr "$EX/recover-table.sh" shop.events_2026
	[[ $stderr == *"168 of them are missing from shop.events_2026 now, by the primary key (id, at)"* ]]
	printf '%s\n' "$output" | psql -XAtq -v ON_ERROR_STOP=1 -1 -d "$(on rec6)"
	assert_equal "$(sql rec6 'SELECT count(*) FROM shop.events')" 700
}

# --- retention.sh -------------------------------------------------------------

# backups_dated DAYS_AGO...: small backups named as backup.sh names them, as
# made DAYS_AGO days ago, each with its .counts under .proofs/.
backups_dated() {
	local d name
	for d in "$@"; do
		name=$(date -u -d "$d days ago" +%Y-%m-%d_03-00-00).sql.gz
		head -c 2000 /dev/urandom | put "$name"
		printf 'shop.log\t1\n' | put_proof "$name" .counts
	done
}

# dated DAYS_AGO: the URL backups_dated gives a backup of DAYS_AGO days ago.
dated() {
	echo "$BACKUP_PREFIX$(date -u -d "$1 days ago" +%Y-%m-%d_03-00-00).sql.gz"
}

@test "retention.sh: a dry run by default: the expired backups and their proofs listed, nothing deleted" {
	backups_dated 45 40 35 20 1
	export BACKUP_NAME_TIME=%Y-%m-%d_%H-%M-%S RETENTION_KEEP=2
	before=$(keys; proof_keys)
	run -0 --separate-stderr "$EX/retention.sh"
	assert_line --index 0 "$(dated 45)"
	assert_line --index 1 "$(proof "$(dated 45)" .counts)"
	assert_equal "${#lines[@]}" 6
	[[ $stderr == *"retention.sh: dry run: would delete 3 of the 5 backups under $BACKUP_PREFIX (6 objects"* ]]
	assert_equal "$(keys; proof_keys)" "$before"
}

@test "retention.sh --delete: deletes them with their proofs; the newest RETENTION_KEEP proven stay whatever their age" {
	backups_dated 50 45 40 35
	export BACKUP_NAME_TIME=%Y-%m-%d_%H-%M-%S RETENTION_KEEP=2
	run -0 --separate-stderr "$EX/retention.sh" --delete
	assert_equal "${#lines[@]}" 4
	[[ $stderr == *"retention.sh: deleted 2 of the 4 backups"* ]]
	run -0 keys
	assert_output "$(dated 40)"$'\n'"$(dated 35)"
	run -0 proof_keys
	assert_output "$(proof "$(dated 40)" .counts)"$'\n'"$(proof "$(dated 35)" .counts)"
	run -0 --separate-stderr "$EX/retention.sh" --delete
	assert_output ""
	[[ $stderr == *"nothing to delete"* ]]
}

@test "retention.sh: RETENTION_KEEP counts proven backups only: an unproven newest is kept, a damaged one goes with its proofs" {
	backups_dated 50 45 40 35 30
	# 30 days ago: found damaged; 1 day ago: no counts (in progress)
	printf 'damaged\n' | s3put "$(proof "$(dated 30)" .damaged)"
	head -c 2000 /dev/urandom | s3put "$(dated 1)"
	export BACKUP_NAME_TIME=%Y-%m-%d_%H-%M-%S RETENTION_KEEP=2 RETENTION=10d
	run -0 --separate-stderr "$EX/retention.sh" --delete
	# kept: 40 and 35 (the newest 2 proven), 1 (unproven, newer than them)
	run -0 keys
	assert_output "$(dated 40)"$'\n'"$(dated 35)"$'\n'"$(dated 1)"
	run -0 proof_keys
	assert_output "$(proof "$(dated 40)" .counts)"$'\n'"$(proof "$(dated 35)" .counts)"
}

@test "retention: the examples of bkage(1), on backup.sh's layout, keep the newest proven backup and delete proofs with their backups" {
	local bucket=bkpipe-ret-$BATS_TEST_NUMBER cmds cmd n=0 b1 b2 b3 b4 in_progress
	# each example runs on a bucket of its own, as s3://backups/, with its backups under db/
	cmds=$(sed -n '/^# EXAMPLES/,/^# SEE ALSO/p' "$TESTS_DIR/../man/bkage.1.scd" | grep -E '^	.*bkage .*--expired' |
		sed 's/^	//; s/\\\*/*/g')
	[ -n "$cmds" ] || fail "no retention examples in bkage(1)"
	while IFS= read -r cmd; do
		s3_bucket "$bucket"
		export BACKUP_PREFIX=s3://$bucket/db/
		# four backups by backup.sh; the second found damaged since; and a fifth in progress
		backup; b1=$url; sleep 1
		backup; b2=$url; sleep 1
		backup; b3=$url; sleep 1
		backup; b4=$url
		printf 'damaged\n' | s3put "$(proof "$b2" .damaged)"
		s3get "$b4" | put 2099-01-01_00-00-00.sql.gz
		in_progress=${BACKUP_PREFIX}2099-01-01_00-00-00.sql.gz
		# as run a year on (--now), in a directory of its own, with the bucket's name
		mkdir -p "$T/run$n"
		(cd "$T/run$n" && bash -c "set -o pipefail; $(sed "s|s3://backups/|s3://$bucket/|g; s|bkage |bkage --now $(date -u -d '400 days' +%Y-%m-%dT%H:%M:%SZ) |" <<<"$cmd")") ||
			fail "$cmd: exit $?"
		if [[ $cmd == *"s3rm -n"* ]]; then
			# a dry run deletes nothing
			assert_equal "$(keys | wc -l)" 5
		else
			run -0 keys
			[[ $output == *"$b4"* ]] || fail "$cmd deleted the newest proven backup $b4"
			[[ $output == *"$in_progress"* ]] || fail "$cmd deleted the backup in progress"
			[[ $output != *"$b2"* ]] || fail "$cmd kept the damaged backup"
			run -0 proof_keys
			[[ $output == *"$(proof "$b4" .counts)"* ]] || fail "$cmd deleted the counts of the newest proven backup"
			[[ $output != *"$b2"* ]] || fail "$cmd kept the proofs of the damaged backup: $output"
			# every proof left is of a backup left
			local p
			for p in $output; do
				p=${p/\/.proofs\//\/}
				p=${p%.counts}
				p=${p%.damaged}
				p=${p%.roles.sql}
				p=${p%.database.sql}
				keys | grep -qxF "$p" || fail "$cmd left the proof of a deleted backup: $p"
			done
		fi
		: "$b1" "$b3"
		n=$((n + 1))
	done <<<"$cmds"
	((n >= 3)) || fail "only $n retention examples"
}

@test "retention.sh: a listing that fails deletes nothing: exit 1" {
	BACKUP_PREFIX=s3://bkpipe-no-such-bucket/db/ run -1 --separate-stderr "$EX/retention.sh" --delete
	[[ $stderr == *"retention.sh: could not list s3://bkpipe-no-such-bucket/db/; nothing was deleted"* ]]
}

# --- docs/runbook.md ------------------------------------------------------------

# runbook_block REGEX: the first ```sh block of docs/runbook.md after the
# first line matching REGEX.
runbook_block() {
	awk -v re="$1" '$0 ~ re { found = 1; next }
		found && /^```/ { if (open) exit; open = 1; next }
		open { print }' "$TESTS_DIR/../docs/runbook.md"
}

# dr_profiles: $T/config and $T/credentials, the AWS files of scenario 4:
# the primary store in [default], the copy in [profile dr], both the S3
# server of the run.
dr_profiles() {
	cat >"$T/config" <<-EOF2
		[default]
		region = us-east-1
		endpoint_url = $S3_ENDPOINT

		[profile dr]
		region = us-east-1
		endpoint_url = $S3_ENDPOINT
	EOF2
	cat >"$T/credentials" <<-EOF2
		[default]
		aws_access_key_id = $AWS_ACCESS_KEY_ID
		aws_secret_access_key = $AWS_SECRET_ACCESS_KEY

		[dr]
		aws_access_key_id = $AWS_ACCESS_KEY_ID
		aws_secret_access_key = $AWS_SECRET_ACCESS_KEY
	EOF2
}

# fresh_server: a second PostgreSQL server, "fresh", with none of the
# roles of the first; FRESH is the URL of its server, without a database.
# The test's variables stay those of the first. teardown stops it.
fresh_server() {
	pg_start fresh
	FRESH=postgresql://postgres@127.0.0.1:$PGPORT/
	pg_use main
}

# fresh_run BUCKET BLOCK: runs BLOCK of scenario 4 as the runbook has it,
# with the copy of the backups in BUCKET and a fresh server (fresh_server)
# for db3.example.com, in the directory $T/run (run -0).
fresh_run() {
	local script=${2//s3:\/\/backups-dr\//s3://$1/}
	dr_profiles
	fresh_server
	script=${script//postgresql:\/\/postgres@db3.example.com\//$FRESH}
	mkdir -p "$T/run" && cd "$T/run"
	AWS_CONFIG_FILE=$T/config AWS_SHARED_CREDENTIALS_FILE=$T/credentials run -0 --separate-stderr bash -c "$script"
}

teardown() {
	if [[ -e $BATS_FILE_TMPDIR/pg-fresh/port ]]; then
		pg_stop fresh
	fi
}

# hold DB: a session open on database DB, idle, as an application's or an
# operator's psql is, until release; its psql's PID in $holder.
hold() {
	rm -f "$T/hold"
	mkfifo "$T/hold"
	psql -Xq -d "$(on "$1")" <"$T/hold" >/dev/null 2>&1 &
	holder=$!
	exec 8>"$T/hold"
	local i
	for ((i = 0; i < 50; i++)); do
		[[ $(sql postgres "SELECT count(*) FROM pg_stat_activity WHERE datname = '$1'") == 0 ]] || return 0
		sleep 0.1
	done
	fail "no session on $1"
}

# release: ends the session of hold (its psql reads the end of its input).
release() {
	exec 8>&-
	wait "$holder" || true
}

# switch_over OLD: the switch-over block of docs/runbook.md, for OLD,
# OLD_restored and OLD_damaged.
switch_over() {
	local block
	block=$(runbook_block '^<!-- block: 1-switch -->')
	[[ $block == *$'\ndb=app restored=app_restored aside=app_damaged\n'* ]] || fail "the switch-over block names no databases"
	printf 'SERVER=%q\n%s\n' "$(on postgres)" "${block/$'\n'db=app restored=app_restored aside=app_damaged$'\n'/$'\n'db=$1 restored=$1_restored aside=$1_damaged$'\n'}"
}

@test "runbook, scenario 1: the restore block creates the roles the server lacks and the database as it was, then restores into it; the counts match" {
	local block script
	block=$(runbook_block '^\*Use when the database is lost')
	[[ $block == *'-v dbname=app_restored'* ]] || fail "no restore block with the database's settings"
	shellcheck -s bash - <<<"$block"
	roles_db s1 s1
	DATABASE_URL=$(on s1) backup
	dbstate s1 >"$T/before"
	# a role dropped since the backup
	sql s1 'DROP OWNED BY "s1 Reader"'
	psql -Xq -c 'DROP ROLE "s1 Reader"'
	# as the blocks run: stopping at the first failure
	script="set -eu; BACKUPS=$BACKUP_PREFIX; PROOFS=$(proof "$BACKUP_PREFIX"); SERVER=$(on postgres); TARGET=$(on s1_restored)
${block//app_restored/s1_restored}"
	mkdir "$T/run" && cd "$T/run"
	run -0 --separate-stderr bash -c "$script"
	assert_line 'CREATE ROLE "s1 Reader";'
	assert_line "$url"
	assert_line "counts match"
	dbstate s1_restored | diff "$T/before" -
	assert_equal "$(sql postgres "SELECT pg_has_role('s1 Reader', 's1_readers', 'MEMBER')")" t
}

@test "runbook, scenario 1: the switch-over, run twice: the restored database takes the name, the old one is set aside open for inspection; the second run changes nothing" {
	local script
	script=$(switch_over sw1)
	shellcheck -s bash - <<<"$script"
	app_copy sw1
	app_copy sw1_restored
	sql sw1_restored 'CREATE TABLE public.marker AS SELECT $$restored$$ AS m'
	# the application, connected to the old database: ended
	hold sw1
	run -0 --separate-stderr bash -c "$script"
	assert_output "switched: sw1 is the restored database, sw1_damaged the old one"
	release
	assert_equal "$(sql sw1 'SELECT m FROM public.marker')" restored
	run ! db_exists sw1_restored
	assert_equal "$(sql postgres "SELECT datallowconn FROM pg_database WHERE datname = 'sw1_damaged'")" t
	assert_equal "$(sql sw1_damaged "SELECT to_regclass('public.marker') IS NULL")" t
	# again: nothing to do, and it says so the same way
	run -0 --separate-stderr bash -c "$script"
	assert_output "switched: sw1 is the restored database, sw1_damaged the old one"
	assert_equal "$(sql sw1 'SELECT m FROM public.marker')" restored
	assert_equal "$(sql postgres "SELECT string_agg(datname || ':' || datallowconn, ' ' ORDER BY datname)
		FROM pg_database WHERE datname LIKE 'sw1%'")" "sw1:true sw1_damaged:true"
}

@test "runbook, scenario 1: a switch-over stopped half-way by a session on the restored database goes on from there when run again" {
	local script
	script=$(switch_over sw2)
	app_copy sw2
	app_copy sw2_restored
	sql sw2_restored 'CREATE TABLE public.marker AS SELECT $$restored$$ AS m'
	# an operator's psql left in the restored database
	hold sw2_restored
	run --separate-stderr bash -c "$script"
	assert_failure
	[[ $stderr == *'database "sw2_restored" is being accessed by other users'* ]] || fail "stderr: $stderr"
	assert_equal "$(sql postgres "SELECT string_agg(datname, ' ' ORDER BY datname) FROM pg_database WHERE datname LIKE 'sw2%'")" \
		"sw2_damaged sw2_restored"
	release
	run -0 --separate-stderr bash -c "$script"
	assert_output "switched: sw2 is the restored database, sw2_damaged the old one"
	assert_equal "$(sql sw2 'SELECT m FROM public.marker')" restored
	assert_equal "$(sql postgres "SELECT datallowconn FROM pg_database WHERE datname = 'sw2_damaged'")" t
}

@test "runbook, scenario 4: on a fresh server, the roles and the database as they were, then the backup with its owners and grants" {
	local dr=bkpipe-fresh-$BATS_TEST_NUMBER block
	block=$(runbook_block '^<!-- block: 4-restore -->')
	[[ $block == *'-v dbname=app'* ]] || fail "no fresh-server block"
	shellcheck -s bash - <<<"$block"
	roles_db f1 f1
	s3_bucket "$dr"
	BACKUP_PREFIX=s3://$dr/db/ DATABASE_URL=$(on f1) backup
	dbstate f1 >"$T/before"
	fresh_run "$dr" "$block"
	assert_line "counts match"
	pg_use fresh
	dbstate app | diff "$T/before" -
	assert_equal "$(sql postgres "SELECT string_agg(rolname, ',' ORDER BY rolname) FROM pg_roles WHERE rolname LIKE 'f1%'")" \
		"f1 Reader,f1_owner,f1_readers"
	assert_equal "$(sql app "SELECT tableowner FROM pg_tables WHERE schemaname = 'shop' AND tablename = 'orders'")" f1_owner
}

@test "runbook, scenario 4 without the roles: -O -x, then grants over every schema of the dump, names quoted; run again, the same" {
	local dr=bkpipe-noroles-$BATS_TEST_NUMBER restore grants script
	restore=$(runbook_block '^<!-- block: 4-restore-without-roles -->')
	grants=$(runbook_block '^<!-- block: 4-grants -->')
	[[ $restore == *'pgfeed -1 -O -x'* && $grants == *'%I'* ]] || fail "no fallback blocks"
	shellcheck -s bash - <<<"$restore"
	shellcheck -s bash - <<<"$grants"
	app_copy f2
	sql f2 'CREATE SCHEMA "Odd Schema"; CREATE TABLE "Odd Schema"."T" (id serial PRIMARY KEY)'
	s3_bucket "$dr"
	BACKUP_PREFIX=s3://$dr/db/ DATABASE_URL=$(on f2) backup
	fresh_run "$dr" "$restore"
	assert_line "counts match"
	script="APP=${FRESH}app
$grants"
	run -0 --separate-stderr bash -c "$script"
	[[ $stderr == *"granted on schema Odd Schema"*"granted on schema public"*"granted on schema shop"* ]] || fail "stderr: $stderr"
	run -0 --separate-stderr bash -c "$script"
	pg_use fresh
	assert_equal "$(sql app "SELECT has_table_privilege('app_owner', 'shop.orders', 'SELECT, INSERT, UPDATE, DELETE'),
		has_table_privilege('app_owner', 'public.\"User\"', 'SELECT, INSERT, UPDATE, DELETE'),
		has_table_privilege('app_owner', '\"Odd Schema\".\"T\"', 'SELECT, INSERT, UPDATE, DELETE'),
		has_sequence_privilege('app_owner', '\"Odd Schema\".\"T_id_seq\"', 'USAGE'),
		has_sequence_privilege('app_owner', 'public.\"User_id_seq\"', 'USAGE'),
		has_schema_privilege('app_owner', 'Odd Schema', 'USAGE'),
		has_database_privilege('app_owner', 'app', 'CONNECT')")" 't|t|t|t|t|t|t'
	# as the application: it connects, reads and writes in every schema
	run -0 psql -XAtq -v ON_ERROR_STOP=1 -d "${FRESH}app?user=app_owner" \
		-c 'INSERT INTO "Odd Schema"."T" DEFAULT VALUES' -c 'SELECT count(*) FROM shop.orders'
	assert_output 5000
}

@test "runbook, Upgrading from 0.1: the block moves each KEY.counts under .proofs/, and the backups are proven again" {
	local bucket=bkpipe-up-$BATS_TEST_NUMBER block b1 b2 u
	block=$(runbook_block '^## Upgrading from 0.1')
	[[ $block == *'s3put --expect-size'* ]] || fail "no upgrade block found"
	shellcheck -s bash - <<<"$block"
	s3_bucket "$bucket"
	export BACKUP_PREFIX=s3://$bucket/db/
	# two backups in 0.1's layout: the counts beside them
	backup; b1=$url; sleep 1
	backup; b2=$url
	for u in "$b1" "$b2"; do
		s3get "$(proof "$u" .counts)" | s3put "$u.counts"
		s3rm "$(proof "$u" .counts)"
	done
	run -0 keys
	assert_output "$b1"$'\n'"$b1.counts"$'\n'"$b2"$'\n'"$b2.counts"
	# as a new version's health check sees it: no proven backup
	run -2 --separate-stderr "$EX/health-check.sh" --nagios
	assert_output --partial "no proven backup"
	mkdir "$T/run" && cd "$T/run"
	run -0 bash -c "${block//s3:\/\/backups\//s3://$bucket/}"
	assert_output "0 .counts left beside the backups"
	run -0 keys
	assert_output "$b1"$'\n'"$b2"
	run -0 proof_keys
	assert_output "$(companions "$b1")"$'\n'"$(companions "$b2")"
	run -0 --separate-stderr "$EX/health-check.sh" --nagios
	assert_output --partial "BKAGE OK - newest proven $b2"
	# run again: nothing left to move, nothing lost
	run -0 bash -c "${block//s3:\/\/backups\//s3://$bucket/}"
	assert_output "0 .counts left beside the backups"
	run -0 proof_keys
	assert_output "$(companions "$b1")"$'\n'"$(companions "$b2")"
}

@test "runbook, scenario 4: the DR copy copies the proven backups with their counts, roles and database, nothing damaged or unproven, and again only what is missing" {
	local bucket=bkpipe-src-$BATS_TEST_NUMBER dr=bkpipe-dr-$BATS_TEST_NUMBER block b1 b2 b3 script
	block=$(runbook_block '^The copy streams like everything else')
	[[ $block == *'--expect-size'* && $block == *'--if-none-match'* && $block == *'unset AWS_ENDPOINT_URL'* ]] ||
		fail "the DR copy block does not use --expect-size, --if-none-match and unset AWS_ENDPOINT_URL"
	shellcheck -s bash - <<<"$block"
	s3_bucket "$dr"
	s3_bucket "$bucket"
	export BACKUP_PREFIX=s3://$bucket/db/
	backup; b1=$url; sleep 1
	backup; b2=$url; sleep 1
	backup; b3=$url
	printf 'damaged\n' | s3put "$(proof "$b2" .damaged)"
	s3get "$b3" | put 2099-01-01_00-00-00.sql.gz
	# the primary store in [default], the copy in [profile dr], and no
	# endpoint in the variables: the block unsets them
	dr_profiles
	# as the blocks run: stopping at the first failure (set -eu)
	script="set -eu; BACKUPS=s3://$bucket/db/; PROOFS=s3://$bucket/.proofs/db/
${block//s3:\/\/backups-dr\//s3://$dr/}"
	mkdir "$T/run" && cd "$T/run"
	AWS_CONFIG_FILE=$T/config AWS_SHARED_CREDENTIALS_FILE=$T/credentials run -0 --separate-stderr bash -c "$script"
	assert_output "the copy holds every proven backup, with its counts"
	local k1=${b1#"$BACKUP_PREFIX"} k3=${b3#"$BACKUP_PREFIX"}
	run -0 s3ls -1 "s3://$dr/db/"
	assert_output "s3://$dr/db/$k1"$'\n'"s3://$dr/db/$k3"
	run -0 s3ls -1 "s3://$dr/.proofs/db/"
	assert_output "$(companions "s3://$dr/db/$k1")"$'\n'"$(companions "s3://$dr/db/$k3")"
	assert_equal "$(s3get "s3://$dr/db/$k3" | sha256sum)" "$(s3get "$b3" | sha256sum)"
	assert_equal "$(s3get "s3://$dr/.proofs/db/$k3.roles.sql" | sha256sum)" "$(s3get "$(proof "$b3" .roles.sql)" | sha256sum)"
	# again: nothing is copied twice (--if-none-match would refuse it), and a
	# proof the copy lost is copied again
	s3rm "s3://$dr/.proofs/db/$k1.counts" "s3://$dr/.proofs/db/$k3.database.sql"
	AWS_CONFIG_FILE=$T/config AWS_SHARED_CREDENTIALS_FILE=$T/credentials run -0 --separate-stderr bash -c "$script"
	assert_output "the copy holds every proven backup, with its counts"
	assert_equal "$stderr" ""
	run -0 s3ls -1 "s3://$dr/.proofs/db/"
	assert_output "$(companions "s3://$dr/db/$k1")"$'\n'"$(companions "s3://$dr/db/$k3")"
	# the copy is proven as the primary is: restore.sh takes the newest
	BACKUP_PREFIX=s3://$dr/db/ RESTORE_DB=r_dr run -0 --separate-stderr "$EX/restore.sh"
	[[ $stderr == *"restore.sh: backup: s3://$dr/db/$k3 (plain, "* ]]
}
