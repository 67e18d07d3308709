#!/usr/bin/env bats
# docs/runbook.md, followed word for word: every shell block, run with bash
# as the page says (block 0's names first, then the blocks of a scenario in
# order, in one shell), against a real PostgreSQL server and the S3 server of
# the run, on backups that examples/backup.sh made.
#
# A block is the fenced ```sh block right after a line <!-- block: NAME -->.
# Only names are changed, by runbook_names() (the table below): the page's
# buckets, hosts and example keys become the test's. The last test checks
# that every shell block of the page is marked and was run here.
# shellcheck disable=SC2030,SC2031 # each @test runs in a subshell of its own

load lib/common
load lib/pg
load lib/s3
load lib/fixture

DOC=$TESTS_DIR/../docs/runbook.md

setup_file() {
	local port
	pg_start new || return 1
	pg_start main || return 1
	port=$(cat "$PG_TMPDIR/pg-new/port") || return 1
	export MAIN_PORT=$PGPORT NEW_PORT=$port
	s3_start || return 1
	export BUCKET=bkpipe-runbook DR_BUCKET=bkpipe-runbook-dr
	s3_bucket "$DR_BUCKET" && s3_bucket "$BUCKET" || return 1
	# The live database: the fixture (tests/lib/fixture.bash), owned by
	# app_owner as the page's is.
	psql -Xq -v ON_ERROR_STOP=1 -c 'CREATE ROLE app_owner LOGIN' -c 'CREATE DATABASE app OWNER app_owner' &&
		fixture_psql app -f "$FIXTURE_SQL" >/dev/null || return 1
	# The backups, by backup.sh: two plain ones and a custom archive.
	export BACKUPS=s3://$BUCKET/db/
	B1=$(backup) && sleep 1 && B2=$(backup) && sleep 1 && C1=$(backup --format custom) || return 1
	export B1 B2 C1
}

teardown_file() {
	s3_stop
	pg_stop new2
	pg_stop new
	pg_stop main
}

setup() {
	W=$BATS_TEST_TMPDIR/work
	mkdir -p "$W" && cd "$W" || return 1
	# The page's blocks call examples/restore.sh from the source tree.
	ln -s "$TESTS_DIR/../examples" examples
	KEY=${B2#"$BACKUPS"} UNTIL=$(date -u +%Y-%m-%dT%H:%M:%SZ) PRESIGNED=''
}

# backup [ARGS]: a backup of app by examples/backup.sh under $BACKUPS; its URL.
backup() {
	BACKUP_PREFIX=$BACKUPS DATABASE_URL=$(on app) "$TESTS_DIR/../examples/backup.sh" -q "$@"
}

# on DB [PORT]: the URL of database DB on the main server (or on PORT).
on() {
	echo "postgresql://postgres@127.0.0.1:${2:-$MAIN_PORT}/$1"
}

# sql DB SQL: one value from the main server.
sql() {
	psql -XAtq -v ON_ERROR_STOP=1 -d "$(on "$1")" -c "$2"
}

# proof URL SUFFIX: s3://B/KEY -> s3://B/.proofs/KEY + SUFFIX.
proof() {
	local rest=${1#s3://}
	echo "s3://${rest%%/*}/.proofs/${rest#*/}$2"
}

dropdb_if() {
	local db
	for db; do
		PGOPTIONS='-c client_min_messages=warning' psql -Xq -v ON_ERROR_STOP=1 -d "$(on postgres)" \
			-c "DROP DATABASE IF EXISTS $db" || return 1
	done
}

# block NAME: the fenced block right after <!-- block: NAME --> (nothing when
# the marker is not directly before a fence).
block() {
	awk -v marker="<!-- block: $1 -->" '$0 == marker { found = 1; next }
		found && !open && !/^```/ { exit }
		found && /^```/ { if (open) exit; open = 1; next }
		open { print }' "$DOC"
}

# The names of the page, and the test's. Nothing else of a block is changed.
#   s3://backups-dr/           the DR copy's bucket
#   s3://backups/              the bucket of the backups
#   @db1 / @db2.example.com/   the live server and the one restored on: the main test server
#   @db3.example.com/          the fresh server of scenario 4 ($NEW_PORT)
#   https://ACCOUNT_ID.r2...   the DR store's endpoint: the test's S3 server
#   2026-11-25_15-34-40.sql.gz the backup a block names: $KEY (by default the newest proven)
#   2026-11-25T15:34:45Z       the time of the accident (scenario 2): $UNTIL
#   'https://...the URL...'    the presigned URL sent (scenario 7): $PRESIGNED
runbook_names() {
	sed -e "s|s3://backups-dr/|s3://$(sed_quote "$DR_BUCKET")/|g" \
		-e "s|s3://backups/|s3://$(sed_quote "$BUCKET")/|g" \
		-e "s|@db[12]\\.example\\.com/|@127.0.0.1:$MAIN_PORT/|g" \
		-e "s|@db3\\.example\\.com/|@127.0.0.1:$NEW_PORT/|g" \
		-e "s|https://ACCOUNT_ID\\.r2\\.cloudflarestorage\\.com|$(sed_quote "$S3_ENDPOINT")|g" \
		-e "s|2026-11-25_15-34-40\\.sql\\.gz|$(sed_quote "$KEY")|g" \
		-e "s|2026-11-25T15:34:45Z|$(sed_quote "$UNTIL")|g" \
		-e "s|'https://\\.\\.\\.the URL\\.\\.\\.'|'$(sed_quote "$PRESIGNED")'|g"
}

# sed_quote TEXT: TEXT as the replacement of a sed s||| command.
sed_quote() {
	sed 's/[&|\\]/\\&/g' <<<"$1"
}

# script NAME...: the blocks NAME..., names changed, as one script, each
# after a line "### NAME" on standard output. Notes each in ran-blocks.
script() {
	local name text
	for name; do
		text=$(block "$name")
		[[ -n $text ]] || {
			echo "runbook.bats: no block $name in $DOC" >&2
			return 1
		}
		printf 'printf "### %%s\\n" %q\n%s\n' "$name" "$(runbook_names <<<"$text")"
		echo "$name" >>"$BATS_FILE_TMPDIR/ran-blocks"
	done
}

# run_blocks NAME...: runs them in one bash, as pasted into one shell.
run_blocks() {
	script "$@" >script.sh || return 1
	run --separate-stderr bash script.sh
}

# section NAME: what block NAME printed on standard output (of the last run_blocks).
section() {
	awk -v h="### $1" '$0 == h { p = 1; next } /^### / { p = 0 } p' <<<"$output"
}

# shown_after NAME: the ```text block the page shows right after block NAME.
shown_after() {
	awk -v marker="<!-- block: $1 -->" '$0 == marker { found = 1; next }
		found && /^```/ { n++; if (n == 3) { open = 1; next } if (n == 4) exit }
		open { print }' "$DOC"
}

@test "runbook 0: the tools answer, and block 0's names list the two newest backups and what is stored beside the newest, as the page shows" {
	run_blocks 0-tools 0-names
	assert_status 0
	section 0-tools | grep -q '^s3ls '
	section 0-tools | grep -q '^psql (PostgreSQL) '
	assert_equal "$(section 0-names | cut -f3)" "$B2"$'\n'"$C1"$'\n'"$(proof "$C1" .counts)"$'\n'"$(proof "$C1" .database.sql)"$'\n'"$(proof "$C1" .roles.sql)"
	# the page's example: the same lines, but for times and sizes
	local shape='s/^[0-9-]{10}T[0-9:]{8}Z\t[0-9]+\t/T\tN\t/; s/[0-9]{4}-[0-9]{2}-[0-9]{2}_[0-9]{2}-[0-9]{2}-[0-9]{2}/K/'
	run_blocks 0-names
	assert_equal "$(section 0-names | sed -E "$shape")" \
		"$(awk '/^The last lines prove/ { f = 1 } f && /^```/ { n++; next } n == 1' "$DOC" | runbook_names | sed -E "$shape")"
}

@test "runbook 1: the newest proven backup restores into a new database, counts match; the switch-over puts it in the old one's place; restore.sh does the same in one command" {
	local want
	want=$(s3get "$(proof "$B2" .counts)")
	dropdb_if app_restored app_damaged
	run_blocks 0-names 1-restore 1-count-itself 1-switch 1-restore-sh
	assert_status 0
	section 1-restore | grep -qxF "$B2"
	section 1-restore | grep -q '^BKAGE OK'
	section 1-restore | grep -qx 'counts match'
	section 1-count-itself | grep -qx 'counts match'
	assert_equal "$(section 1-restore-sh)" app_restored
	# the restored database is now app, with the rows of the backup
	assert_equal "$(fixture_counts app)" "$want"
	assert_equal "$(fixture_counts app_restored)" "$want"
	dropdb_if app_restored app_damaged
}

@test "runbook 2a: rows deleted by mistake, with their cascaded orders: restored beside the live tables, counted, put back parents first" {
	local users orders
	users=$(sql app 'SELECT count(*) FROM public.users') orders=$(sql app 'SELECT count(*) FROM public.orders')
	# the accident: 50 users, and by ON DELETE CASCADE their 100 orders
	sql app 'DELETE FROM public.users WHERE id > 150'
	run_blocks 0-names 2a-cascade 2a-pick 2a-restore 2a-missing 2a-put-back
	assert_status 0
	# The tables the deletion reached, from the catalog, as the page shows.
	# (psql pads the header and ends with a blank line; the page does not)
	assert_equal "$(section 2a-cascade | sed -e 's/ *$//' -e '/^$/d')" "$(shown_after 2a-cascade)"
	assert_equal "$(section 2a-pick)" "$B2"
	[[ $(section 2a-missing) =~ users_missing[^0-9]+50[^0-9] && $(section 2a-missing) =~ orders_missing[^0-9]+100[^0-9] ]] ||
		fail "2a-missing printed: $(section 2a-missing)"
	# what the page shows is what psql prints
	assert_equal "$(section 2a-put-back)" "$(shown_after 2a-put-back)"
	assert_equal "$(sql app 'SELECT count(*) FROM public.users')" "$users"
	assert_equal "$(sql app 'SELECT count(*) FROM public.orders')" "$orders"
	assert_equal "$(sql app "SELECT count(*) FROM pg_tables WHERE tablename LIKE '%_restored'")" 0
}

@test "runbook 2a: a unique key taken since the backup: the rows that cannot come back are listed, the others and their children put back" {
	local users orders lost
	users=$(sql app 'SELECT count(*) FROM public.users') orders=$(sql app 'SELECT count(*) FROM public.orders')
	sql app 'DELETE FROM public.users WHERE id > 150'
	run_blocks 0-names 2a-pick 2a-restore
	assert_status 0
	# Since the backup, a new user took the email of deleted user 151.
	sql app "INSERT INTO public.users (id, email, name, created) SELECT 100000, email, 'new', now() FROM public.users_restored WHERE id = 151"
	# psql's exit status for an SQL error under ON_ERROR_STOP
	run_blocks 0-names 2a-put-back
	assert_status 3
	run_blocks 0-names 2a-put-back-unique
	assert_status 0
	[[ $(section 2a-put-back-unique) =~ (^|$'\n')\ *151\ \|\ [^\ ]+@[^\ ]+\ +\|\ +100000($'\n'|$) ]] ||
		fail "2a-put-back-unique printed: $(section 2a-put-back-unique)"
	# Everyone but 151 is back (and the new user), with the orders of those who are.
	lost=$(sql app 'SELECT count(*) FROM public.orders_restored WHERE user_id = 151')
	assert_equal "$(sql app 'SELECT count(*) FROM public.users')" "$users"
	assert_equal "$(sql app 'SELECT count(*) FROM public.users WHERE id = 151')" 0
	assert_equal "$(sql app 'SELECT count(*) FROM public.orders')" "$((orders - lost))"
	# As it was, for the next tests.
	sql app "DELETE FROM public.users WHERE id = 100000; INSERT INTO public.users SELECT * FROM public.users_restored WHERE id = 151; INSERT INTO public.orders SELECT * FROM public.orders_restored WHERE user_id = 151; DROP TABLE public.users_restored, public.orders_restored"
}

@test "runbook 2b: a dropped table comes back whole: its rows, indexes, foreign key, trigger and sequence" {
	local orders
	orders=$(sql app 'SELECT count(*) FROM public.orders')
	sql app 'DROP TABLE public.orders CASCADE'
	run_blocks 0-names 2a-pick 2b-restore 2b-list
	assert_status 0
	assert_equal "$(sql app 'SELECT count(*) FROM public.orders')" "$orders"
	assert_equal "$(sql app "SELECT string_agg(indexname, ' ' ORDER BY indexname) FROM pg_indexes WHERE tablename = 'orders'")" \
		"orders_open_idx orders_pkey orders_user_idx"
	assert_equal "$(sql app "SELECT count(*) FROM pg_constraint WHERE conrelid = 'public.orders'::regclass AND contype = 'f'")" 1
	assert_equal "$(sql app "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'public.orders'::regclass AND tgname = 'orders_audit'")" 1
	sql app "INSERT INTO public.orders (user_id, amount, placed) VALUES (1, 1, '2026-01-01')"
	section 2b-list | grep -qP '^[0-9]+\tTABLE\tpublic\torders\t'
}

@test "runbook 3: a damaged newest backup stops the restore, nothing committed; set aside under .proofs/, the proven one before it restores, counts match, and scenario 1 no longer picks it" {
	local b3 size
	sleep 1
	b3=$(backup)
	# damaged in the store, after it was proven: one byte changed
	s3get "$b3" >b3.sql.gz
	size=$(stat -c %s b3.sql.gz)
	printf '\x5a' | dd of=b3.sql.gz bs=1 seek=$((size / 2)) conv=notrunc status=none
	s3put "$b3" <b3.sql.gz
	dropdb_if app_restored
	run_blocks 0-names 1-restore
	assert_status 1
	section 1-restore | grep -qxF "$b3"
	[[ $output != *"counts match"* ]] || fail "a failed restore printed counts match"
	assert_stderr_has "gzcat-verify: stdin: corrupted at byte"
	assert_stderr_has "pgfeed: rolled back: nothing was committed"
	assert_equal "$(sql app_restored "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace")" 0
	# set aside (the URL the restore printed), and the one before it restored
	KEY=${b3#"$BACKUPS"} run_blocks 0-names 3-set-aside
	assert_status 0
	section 3-set-aside | grep -qxF "$B2"
	section 3-set-aside | grep -qx 'counts match'
	assert_stderr_has "gzcat-verify: stdin: ok, 1 member"
	s3ls -1 "$(proof "$BACKUPS")" | grep -qxF "$(proof "$b3" .damaged)"
	# the health check says so until a newer backup is proven
	run -2 bkage -c 26h --proofs <(s3ls "$(proof "$BACKUPS")") --match '\.sql\.gz$' < <(s3ls "$BACKUPS")
	assert_output --partial damaged
	# scenario 1 again: the selection passes over the damaged one
	dropdb_if app_restored
	run_blocks 0-names 1-restore
	assert_status 0
	section 1-restore | grep -qxF "$B2"
	section 1-restore | grep -qx 'counts match'
	dropdb_if app_restored
}

# The two stores in profiles, from the page's ~/.aws files: the primary
# ([default], the page's AWS region) is the test's S3 server too, with its
# endpoint; the keys ("...") are the test's.
aws_files() {
	block 4-aws-config | runbook_names |
		sed "s|^region = eu-west-1\$|region = $S3_REGION\\nendpoint_url = $S3_ENDPOINT|" >aws-config
	block 4-aws-credentials |
		sed "s|^aws_access_key_id = \\.\\.\\.\$|aws_access_key_id = $AWS_ACCESS_KEY_ID|; s|^aws_secret_access_key = \\.\\.\\.\$|aws_secret_access_key = $AWS_SECRET_ACCESS_KEY|" >aws-credentials
	grep -q '^\[profile dr\]' aws-config && grep -q '^\[dr\]' aws-credentials
	grep -q "^endpoint_url = $S3_ENDPOINT\$" aws-config
}

# in_profiles CMD...: CMD with the settings in the profiles and none in variables.
in_profiles() {
	env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_ENDPOINT_URL -u AWS_REGION -u AWS_DEFAULT_REGION \
		AWS_CONFIG_FILE="$W/aws-config" AWS_SHARED_CREDENTIALS_FILE="$W/aws-credentials" "$@"
}

@test "runbook 4: the DR copy holds the proven backups with what proves and recreates them, and again only what is missing; restored from it into a fresh server with the roles, or without them and then the grants" {
	local before want u p
	aws_files
	want=$(s3get "$(proof "$B2" .counts)")
	script 0-names 4-copy >copy.sh
	run --separate-stderr in_profiles bash copy.sh
	assert_status 0
	assert_equal "$(section 4-copy)" "the copy holds every proven backup, with its counts"
	# the proven ones (not the damaged one of scenario 3), with what backup.sh put beside each
	assert_equal "$(s3ls -1 "s3://$DR_BUCKET/db/")" "$(sed "s|s3://$BUCKET/|s3://$DR_BUCKET/|" <<<"$B1"$'\n'"$B2"$'\n'"$C1")"
	assert_equal "$(s3ls -1 "s3://$DR_BUCKET/.proofs/db/")" "$(for u in "$B1" "$B2" "$C1"; do
		for p in .counts .database.sql .roles.sql; do proof "${u/"s3://$BUCKET/"/"s3://$DR_BUCKET/"}" "$p"; done
	done)"
	# again: nothing copied twice
	before=$(s3ls -r "s3://$DR_BUCKET/")
	run --separate-stderr in_profiles bash copy.sh
	assert_status 0
	assert_equal "$(section 4-copy)" "the copy holds every proven backup, with its counts"
	assert_equal "$(s3ls -r "s3://$DR_BUCKET/")" "$before"
	# the tools pointed at the copy's store with variables
	{
		script 0-names 4-point
		echo "s3ls -1 s3://$DR_BUCKET/db/"
	} >point.sh
	run --separate-stderr in_profiles bash point.sh
	assert_status 0
	section 4-point | grep -qxF "s3://$DR_BUCKET/db/${B2#"$BACKUPS"}"
	# a fresh server: the roles it lacks, the database as it was, the backup
	# with its owners and grants
	script 0-names 4-restore >restore.sh
	run --separate-stderr in_profiles bash restore.sh
	assert_status 0
	section 4-restore | grep -qx "s3://$DR_BUCKET/db/${B2#"$BACKUPS"}"
	section 4-restore | grep -qx 'counts match'
	[[ $(psql -XAtq -d "$(on app "$NEW_PORT")" -c "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'app'") == app_owner ]] ||
		fail "the restored database is not app_owner's"
	[[ $(psql -XAtq -d "$(on app "$NEW_PORT")" -c "SELECT tableowner FROM pg_tables WHERE tablename = 'documents'") == fixture_owner ]] ||
		fail "public.documents lost its owner"
	# another fresh server, without the roles: -O -x, then the grants, in every schema
	pg_start new2
	local new2=$PGPORT
	pg_use main
	NEW_PORT=$new2 script 0-names 4-restore-without-roles 4-grants >without.sh
	run --separate-stderr in_profiles bash without.sh
	assert_status 0
	section 4-restore-without-roles | grep -qx 'counts match'
	[[ $(psql -XAtq -d "$(on app "$new2")" -c "SELECT has_table_privilege('app_owner', '\"Sales Data\".\"Order Items\"', 'SELECT')") == t ]] ||
		fail "app_owner may not read a table outside public"
	assert_equal "$(fixture_counts "$(on app "$new2")")" "$want"
	pg_stop new2
}

@test "runbook 5: a backup verified without restoring it: intact, complete, with the rows counted when it was made; its header" {
	run_blocks 0-names 5-verify 5-header
	assert_status 0
	assert_equal "$(section 5-verify)" "intact, complete, and the rows counted when it was made"
	assert_stderr_has "gzcat-verify: stdin: ok, 1 member"
	section 5-header | grep -q '^-- Dumped from database version '
}

@test "runbook 6: the newest custom archive restores from the stream in one transaction, or from a file with -j 2; counted without a database; one table beside" {
	dropdb_if app_restored
	run_blocks 0-names 6-pick 6-restore 6-count-archive 6-table 6-header
	assert_status 0
	assert_equal "$(section 6-pick)" "$C1"
	section 6-restore | grep -qx 'counts match'
	assert_equal "$(section 6-count-archive)" "the archive holds the counted rows"
	assert_equal "$(sql app 'SELECT count(*) FROM public.users_restored')" "$(sql app 'SELECT count(*) FROM public.users')"
	sql app 'DROP TABLE public.users_restored'
	section 6-header | grep -q '^; Archive created at '
	dropdb_if app_restored
	run_blocks 0-names 6-pick 6-jobs
	assert_status 0
	section 6-jobs | grep -qx 'counts match'
	dropdb_if app_restored
}

@test "runbook 6: a block stops at its first failure: run again, the restore fails at CREATE DATABASE and prints no 'counts match'" {
	dropdb_if app_restored
	run_blocks 0-names 6-pick 6-restore 6-restore
	assert_status 1
	assert_stderr_has 'database "app_restored" already exists'
	assert_equal "$(section 6-restore | grep -c 'counts match')" 1
	# the same blocks without set -e: the second run goes on, and says
	# "counts match" over a restore that failed (what the page did before)
	sed -i 's/^set -euo pipefail$/set -o pipefail/' script.sh
	run --separate-stderr bash script.sh
	assert_equal "$(section 6-restore | grep -c 'counts match')" 2
	dropdb_if app_restored
}

@test "runbook 7: a backup shared by a presigned URL, fetched without credentials by s3get and by curl, restores and verifies" {
	dropdb_if app_restored
	run_blocks 7-presign
	assert_status 0
	PRESIGNED=$(section 7-presign)
	[[ $PRESIGNED == "$S3_ENDPOINT/$BUCKET/db/$KEY?"*X-Amz-Signature=* ]] || fail "not a presigned URL: $PRESIGNED"
	sql postgres 'CREATE DATABASE app_restored'
	# the receiver: no AWS settings at all
	script 7-receive >receive.sh
	run --separate-stderr env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_ENDPOINT_URL -u AWS_REGION \
		-u AWS_DEFAULT_REGION AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent bash receive.sh
	assert_status 0
	assert_stderr_has "gzcat-verify: stdin: ok, 1 member"
	assert_equal "$(fixture_counts app_restored)" "$(s3get "$(proof "$B2" .counts)")"
	dropdb_if app_restored
}

@test "runbook, Upgrading from 0.1: the block moves a KEY.counts beside its backup under .proofs/, and again finds nothing to move" {
	local counts
	counts=$(proof "$B1" .counts)
	s3get "$counts" | s3put "$B1.counts"
	s3rm "$counts"
	run_blocks upgrade-0.1
	assert_status 0
	assert_equal "$(section upgrade-0.1)" "0 .counts left beside the backups"
	s3ls -1 "$(proof "$BACKUPS")" | grep -qxF "$counts"
	run_blocks upgrade-0.1
	assert_status 0
	assert_equal "$(section upgrade-0.1)" "0 .counts left beside the backups"
}

@test "runbook: every shell block of the page is marked, begins with set -euo pipefail, passes shellcheck, and was run above" {
	local name missing=''
	# a ```sh fence right after its marker, and nothing but markers before one
	run -0 awk 'prev ~ /^<!-- block: / && !/^```(sh|ini)$/ { print "marker not before a sh or ini fence: " prev }
		/^```sh$/ && prev !~ /^<!-- block: [0-9a-z.-]+ -->$/ { print "an unmarked sh block at line " NR }
		/^```/ { open = !open } { prev = $0 }' "$DOC"
	assert_output ''
	for name in $(sed -n 's/^<!-- block: \([^ ]*\) -->$/\1/p' "$DOC"); do
		if [[ $(awk -v m="<!-- block: $name -->" '$0 == m { getline; print; exit }' "$DOC") == '```sh' ]]; then
			[[ $(block "$name" | head -n 1) == 'set -euo pipefail' ]] || fail "block $name does not begin with set -euo pipefail"
			{ block "$name"; echo; } >>all.sh
		fi
		if [[ -n ${BATS_FILE_TMPDIR:-} && $BATS_TEST_NUMBER -gt 1 ]] &&
			! grep -qxF "$name" "$BATS_FILE_TMPDIR/ran-blocks" 2>/dev/null; then
			# ini blocks are read by aws_files
			[[ $name == 4-aws-* ]] || missing+=" $name"
		fi
	done
	[[ -z $missing ]] || fail "blocks not run by this suite:$missing"
	command -v shellcheck >/dev/null || skip "shellcheck is not installed"
	run shellcheck -s bash -e SC2034 all.sh
	assert_success
}
