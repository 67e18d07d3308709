#!/usr/bin/env bats
# Every example the reference pages show, run: the EXAMPLES of man/*.scd
# (and pgfeed(1)'s RECOVERY RECIPES), the "Examples:" of each program's
# --help, and the examples in the usage of examples/*.sh; against a real
# PostgreSQL server and the S3 server of the run, on backups that
# examples/backup.sh made.
#
# Only names are changed (doc_names, the table below): the page's bucket,
# hosts, keys, paths and schema become the test's. The variables the
# examples use are set by prepare() to databases made for each example.
# What cannot run here runs in part, and says why (not_here).
# shellcheck disable=SC2030,SC2031 # each @test runs in a subshell of its own

load lib/common
load lib/pg
load lib/s3
load lib/fixture

setup_file() {
	pg_start && s3_start && s3_bucket bkpipe-docex || return 1
	export BUCKET=bkpipe-docex EX=$TESTS_DIR/../examples
	fixture_create app >/dev/null || return 1
	# db/: three backups, the oldest found damaged since; app/: one; custom/:
	# a custom archive. Everything with its proofs, as backup.sh writes it.
	B0=$(backup db/) && sleep 1 && B1=$(backup db/) && sleep 1 && B2=$(backup db/) &&
		A1=$(backup app/) && C1=$(backup custom/ --format custom) || return 1
	printf '2026-01-26T05:00:00Z validate.sh: crc32 mismatch\n' | s3put "$(proof "$B0" .damaged)" || return 1
	export B0 B1 B2 A1 C1
	s3ls -r -1 "s3://$BUCKET/" >"$BATS_FILE_TMPDIR/objects"
	# The local files the examples read: backup.sql.gz, dump.sql.gz, dump.sql
	# (the newest plain backup), app.dump (the archive); /var/backups/pg/ of
	# bkage(1) holds two backups of 120 MB (sparse: only their size is read).
	D=$BATS_FILE_TMPDIR/files
	mkdir -p "$D/pg" "$BATS_FILE_TMPDIR/bin" && export D || return 1
	s3get "$B2" >"$D/backup.sql.gz" && cp "$D/backup.sql.gz" "$D/dump.sql.gz" &&
		gzcat-verify "$D/backup.sql.gz" >"$D/dump.sql" && s3get "$C1" >"$D/app.dump" || return 1
	cp "$D/backup.sql.gz" "$D/pg/2026-01-25.sql.gz" && cp "$D/backup.sql.gz" "$D/pg/2026-01-26.sql.gz" &&
		truncate -s 120M "$D/pg/2026-01-25.sql.gz" "$D/pg/2026-01-26.sql.gz" &&
		touch -d '-25 hours' "$D/pg/2026-01-25.sql.gz" || return 1
	# mail(1) for the crontab lines: it keeps what it is given
	printf '#!/bin/sh\n{ echo "mail $*"; cat; } >>"$MAIL_LOG"\n' >"$BATS_FILE_TMPDIR/bin/mail" &&
		chmod +x "$BATS_FILE_TMPDIR/bin/mail"
}

teardown_file() {
	s3_stop
	pg_stop
}

# backup PREFIX [ARGS]: a backup of app by examples/backup.sh under
# s3://$BUCKET/PREFIX; its URL.
backup() {
	local prefix=$1
	shift
	BACKUP_PREFIX=s3://$BUCKET/$prefix DATABASE_URL=$(on app) "$EX/backup.sh" -q "$@"
}

# on DB: the URL of database DB on the test server.
on() {
	echo "postgresql://postgres@127.0.0.1:$PGPORT/$1"
}

# sql DB SQL: psql's unaligned output of SQL in DB, without notices.
sql() {
	PGOPTIONS='-c client_min_messages=warning' psql -XAtq -v ON_ERROR_STOP=1 -d "$(on "$1")" -c "$2"
}

# proof URL SUFFIX: where backup.sh keeps the proof SUFFIX of URL:
# s3://B/KEY -> s3://B/.proofs/KEY + SUFFIX.
proof() {
	local rest=${1#s3://}
	echo "s3://${rest%%/*}/.proofs/${rest#*/}$2"
}

# key URL: its last part.
key() {
	echo "${1##*/}"
}

# sed_quote TEXT: TEXT as the replacement of a sed s### command.
sed_quote() {
	sed 's/[&#\\]/\\&/g' <<<"$1"
}

# The names of the pages, and the test's. Nothing else is changed.
#   s3://backups/, s3://bucket/          the test bucket
#   2026-01-26.sql.gz, 2026-01-26_03-00-00.sql.gz, latest.sql.gz
#                                        the newest proven backup ($B2)
#   2026-01-25.sql.gz                    the backup before it ($B1), "yesterday's"
#   db/2026-01-26.dump                   the custom archive ($C1, under custom/)
#   http://minio.internal:9000           the test S3 server
#   postgresql://app@staging.internal/app  a new database ($STAGING)
#   postgresql://restore-test/postgres   the test PostgreSQL server
#   /usr/local/bin/, /usr/local/share/bkpipe/  the built programs, examples/
#   /var/lib/node_exporter/, /srv/restore/  the example's directory
#   /var/backups/pg/                     $D/pg/
#   billing (a schema)                   archive, the fixture's small schema
#   sales.orders                         public.orders, the fixture's
#   restore.sh --into app                --into app_dr, a copy of app
#   dba@example.com                      (kept: mail is the test's)
# and the retention examples (bkage --expired) run as a year and more from
# now (--now), so that there is something to expire.
doc_names() {
	local bindir
	bindir=$(dirname "$(command -v s3ls)")
	sed -E -e "s#s3://(backups|bucket)/#s3://$(sed_quote "$BUCKET")/#g" \
		-e "s#(2026-01-26|2026-01-26_03-00-00|latest)\\.sql\\.gz#$(key "$B2")#g" \
		-e "s#2026-01-25\\.sql\\.gz#$(key "$B1")#g" \
		-e "s#db/2026-01-26\\.dump#custom/$(key "$C1")#g" \
		-e "s#http://minio\\.internal:9000#$(sed_quote "$S3_ENDPOINT")#g" \
		-e "s#postgresql://app@staging\\.internal/app#$(sed_quote "$STAGING")#g" \
		-e "s#postgresql://restore-test/postgres#$(sed_quote "$(on postgres)")#g" \
		-e "s#/usr/local/bin/#$(sed_quote "$bindir")/#g" \
		-e "s#/usr/local/share/bkpipe/#$(sed_quote "$EX")/#g" \
		-e "s#/var/lib/node_exporter/|/srv/restore/#./#g" \
		-e "s#/var/backups/pg/#$(sed_quote "$D")/pg/#g" \
		-e "s#(-n |\\.proofs/)?billing#\\1archive#g" \
		-e "s#sales\\.orders#public.orders#g" \
		-e "s#(restore\\.sh .*--into) app( |\$)#\\1 app_dr\\2#" |
		if [[ $1 == *'--expired'* ]]; then
			sed "s#bkage #bkage --now $(date -u -d '400 days' +%Y-%m-%dT%H:%M:%SZ) #g"
		else
			cat
		fi
}

# --- what each example needs ---------------------------------------------------

# fresh NAME: an empty database for this example (x<N>_NAME); its URL.
fresh() {
	local db=x${N}_$1
	sql postgres "CREATE DATABASE $db" && on "$db"
}

# copy NAME [SQL]: a copy of app for this example, changed by SQL; its URL.
copy() {
	local db=x${N}_$1
	sql postgres "CREATE DATABASE $db TEMPLATE app" || return 1
	[[ -z ${2:-} ]] || PGOPTIONS='-c client_min_messages=warning' psql -XAtq -v ON_ERROR_STOP=1 -d "$(on "$db")" -c "$2" >/dev/null || return 1
	on "$db"
}

# prepare TEXT: sets the variables an example uses, to what its page says
# they are, and makes what it needs; sets WANT (its exit status) and CHECK
# (a test of what it did, or nothing). Databases: DATABASE_URL, TARGET,
# RESTORED and STAGING new and empty; PROD and REPLICA copies of app; SRC
# and PRIMARY app itself; PGDATABASE (for a pgfeed given no connection) new
# where it restores, else postgres. $url is the newest proven backup ($B2;
# the archive for pg_restore), $dump the local backup.sql.gz.
prepare() {
	local t=$1
	WANT=0 CHECK=''
	DATABASE_URL='' TARGET='' RESTORED='' PROD='' REPLICA='' STAGING='' PGDATABASE=postgres
	SRC=$(on app) PRIMARY=$(on app)
	url=$B2 dump=backup.sql.gz
	[[ $t != *pg_restore* || $t == *'pg_restore -f - app.dump'* ]] || url=$C1
	case $t in
	*'pgcount --summary'*) DATABASE_URL=$(on app) ;;
	*'pgcount --estimate'*) PGDATABASE=app ;;
	*'<(pgcount "$RESTORED")'*) RESTORED=$(copy restored) ;;
	*'--into public.users_restored'*)
		# the rows deleted by mistake
		DATABASE_URL=$(copy db 'DELETE FROM public.users WHERE id > 150')
		CHECK="same public.users" ;;
	*'-t public.users --with-indexes'*)
		DATABASE_URL=$(copy db 'DROP TABLE public.users CASCADE')
		CHECK="same public.users" ;;
	*'pgfeed -1 -n billing'*)
		# "a database that has the schema, empty, and what it needs from the others"
		DATABASE_URL=$(copy db 'DROP SCHEMA archive CASCADE; CREATE SCHEMA archive')
		CHECK="rows archive.old_orders 0" ;;
	*'pgfeed -1 -c'* | *'pgcount --expect expected.counts "$DATABASE_URL"'*) DATABASE_URL=$(copy db) ;;
	*'--expect saved.counts'*) s3get "$(proof "$B2" .counts)" >saved.counts ;;
	*'s3put --if-none-match s3://backups/.proofs/'*)
		# the proof is written once, when the backup is made
		s3rm "$(proof "$B2" .counts)" >/dev/null ;;
	*'s3rm s3://backups/db/2025-12-01_03-00-00.sql.gz'*)
		s3get "$B1" | s3put "s3://$BUCKET/db/2025-12-01_03-00-00.sql.gz"
		CHECK="gone s3://$BUCKET/db/2025-12-01_03-00-00.sql.gz" ;;
	*'recover-table.sh'*)
		DATABASE_URL=$(copy db 'DELETE FROM public.orders WHERE id > 350')
		CHECK="same public.orders" ;;
	*'restore.sh --clean --into app'*) copy dr >/dev/null ;;
	*"grep -v '^BKAGE OK'"*) WANT=1 CHECK=quiet ;;
	*'| mail '* | *MAIL_TO=*) CHECK=quiet ;;
	*'--presign'*) CHECK=presigned ;;
	*'--format prometheus'*) CHECK=prometheus ;;
	esac
	# retention that deletes (s3rm without -n)
	! grep -qE 'bkage .*--expired.*[|] s3rm( [^-]|$)' <<<"$t" || CHECK=retention
	[[ $t != *'$TARGET'* || -n $TARGET ]] || TARGET=$(fresh target)
	[[ $t != *'$RESTORED'* || -n $RESTORED ]] || RESTORED=$(fresh restored)
	[[ $t != *'$PROD'* ]] || PROD=$(copy prod)
	[[ $t != *'$REPLICA'* ]] || REPLICA=$(copy replica)
	[[ $t != *'$DATABASE_URL'* || -n $DATABASE_URL ]] || DATABASE_URL=$(fresh db)
	[[ $t != *staging.internal* ]] || STAGING=$(fresh staging)
	if grep -qE 'pgfeed -1( *[|\\]|$)' <<<"$t"; then
		PGDATABASE=$(fresh pgdatabase) && PGDATABASE=${PGDATABASE##*/} && CHECK=${CHECK:-restored-pgdatabase}
	fi
	# a whole restore into a new database
	! grep -qE 'pgfeed -1 "[$](TARGET|RESTORED|DATABASE_URL)"' <<<"$t" || CHECK=${CHECK:-restored}
	export DATABASE_URL TARGET RESTORED PROD REPLICA SRC PRIMARY PGDATABASE url dump
}

# check WHAT: what the example did, beyond its exit status.
check() {
	local db
	case $1 in
	'') ;;
	rows*)
		set -- $1
		db=${DATABASE_URL##*/}
		[[ $(sql "$db" "SELECT count(*) FROM $2") == "$3" ]] || { echo "$2 of $db does not have $3 rows"; return 1; }
		;;
	same*)
		# TABLE of DATABASE_URL holds exactly the rows of app's
		set -- $1
		db=${DATABASE_URL##*/}
		local rows="SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) FROM $2 t"
		[[ $(sql "$db" "$rows") == "$(sql app "$rows")" ]] || { echo "$2 of $db is not app's"; return 1; }
		;;
	gone*)
		! s3ls -1 "${1#gone }" | grep -q . || { echo "${1#gone } is still there"; return 1; } ;;
	quiet)
		# all is well: cron has nothing to mail, and nothing was mailed
		[[ ! -s out && ! -e mail.log ]] || { echo "it printed or mailed: $(cat out mail.log 2>/dev/null)"; return 1; } ;;
	presigned)
		[[ $(cat out) == "$S3_ENDPOINT/$BUCKET/"*X-Amz-Signature=* ]] || { echo "not a presigned URL: $(cat out)"; return 1; }
		curl -fsS "$(cat out)" | gzcat-verify -t || { echo "the presigned URL does not fetch a whole backup"; return 1; } ;;
	prometheus)
		grep -q '^bkpipe_backup_status{group="db"} 0$' bkpipe.prom || { echo "bkpipe.prom: $(cat bkpipe.prom)"; return 1; } ;;
	retention)
		# the damaged backup went with its proofs; the proven ones stayed
		s3ls -r -1 "s3://$BUCKET/" >now
		! grep -qF "$(key "$B0")" now || { echo "$B0 or its proofs are still there"; return 1; }
		grep -qxF "$B2" now && grep -qxF "$(proof "$B2" .counts)" now && grep -qxF "$B1" now ||
			{ echo "a proven backup or its counts went"; return 1; } ;;
	restored*)
		# each new database holds the tables of the backup, with their rows
		s3get "$(proof "$B2" .counts)" >want.counts
		for db in "$TARGET" "$RESTORED" "$DATABASE_URL" "$([[ $1 != *pgdatabase ]] || on "$PGDATABASE")"; do
			[[ $db == */x"${N}"_* ]] || continue
			fixture_counts "$db" | awk -F '\t' 'NR == FNR { want[$1] = 1; next } $1 in want' want.counts - >got.counts
			cmp -s want.counts got.counts || { echo "${db##*/} does not hold the rows of $B2"; return 1; }
		done ;;
	esac
}

# cleanup: drops the example's databases (and those restore.sh made);
# deletes what it added to the bucket (what it deleted stays deleted).
cleanup() {
	local db
	for db in $(sql postgres "SELECT datname FROM pg_database WHERE datname ~ '^(x[0-9]+_|restored_|app_0126$|app_dr$)'"); do
		sql postgres "DROP DATABASE $db" || return 1
	done
	{ s3ls -r -1 "s3://$BUCKET/" | grep -vxFf "$BATS_FILE_TMPDIR/objects" || true; } | s3rm >/dev/null
}

# run_example SOURCE SHELL TEXT: runs TEXT (an example of SOURCE, names not yet
# changed) with SHELL in a directory of its own; FAILED gets what went wrong.
run_example() {
	local src=$1 shell=$2 text=$3 cmd status why
	N=$((N + 1))
	W=$BATS_TEST_TMPDIR/ex$N
	mkdir -p "$W" && cd "$W" || return 1
	cp "$D/backup.sql.gz" "$D/dump.sql.gz" "$D/dump.sql" "$D/app.dump" .
	prepare "$text"
	cmd=$(doc_names "$text" <<<"$text")
	status=0
	MAIL_LOG=$W/mail.log PATH=$BATS_FILE_TMPDIR/bin:$PATH BACKUP_PREFIX=s3://$BUCKET/db/ \
		"$shell" -c "$cmd" >out 2>err </dev/null || status=$?
	if ((status != WANT)); then
		FAILED+="
--- $src: exit $status, not $WANT:
$cmd
stderr: $(cat err)"
	elif ! why=$(check "$CHECK"); then
		FAILED+="
--- $src: $why:
$cmd"
	fi
	RAN=$((RAN + 1))
	cleanup
	cd "$BATS_TEST_TMPDIR" || return 1
}

# not_here SOURCE TEXT REASON: an example that is not run whole, and why.
not_here() {
	printf '# %s: not run whole (%s): %s\n' "$1" "$3" "${2%%$'\n'*}" >&3
}

# --- where the examples are -----------------------------------------------------

# scd_examples FILE SECTION: the examples of SECTION of an scdoc page, each
# ended by a NUL: every ``` block, and every indented paragraph (scdoc joins
# its lines with a space, ++ ends a line); scdoc's \ escapes undone.
scd_examples() {
	awk -v sec="$2" '
		function emit() { sub(/[ \n]+$/, "", buf); printf "%s%c", buf, 0; buf = "" }
		/^# / { insec = ($0 == "# " sec); next }
		!insec { next }
		/^```/ { if (fence) { emit(); fence = 0 } else { fence = 1; buf = "" } next }
		fence { buf = buf $0 "\n"; next }
		para && /^$/ { emit(); para = 0; next }
		/^\t/ && !para { para = 1; buf = "" }
		para { line = $0; sub(/^\t/, "", line)
			if (line ~ /\+\+$/) { sub(/\+\+$/, "", line); buf = buf line "\n" } else buf = buf line " "
			next }
		END { if (para) emit() }' "$1" | sed -z 's/\\\(.\)/\1/g'
}

# help_examples PROGRAM: the lines under "Examples:" of PROGRAM --help (an
# example begins two spaces in; deeper lines continue it), and the indented
# lines that follow a line ending in ":" before the options; each ended by a NUL.
help_examples() {
	"$1" --help | awk '
		function emit() { if (buf != "") printf "%s%c", buf, 0; buf = "" }
		/^Examples:$/ { emit(); ex = 1; next }
		/^(Options|[A-Z][a-z ]+):$/ && !ex { opts = 1 }
		/^$/ { emit(); if (ex) exit; intro = 0; next }
		!ex && !opts && /:$/ { intro = 1; next }
		(ex || intro) && /^  [^ ]/ { emit(); buf = substr($0, 3); next }
		(ex || intro) && /^   / && buf != "" { buf = buf "\n" $0; next }
		{ intro = 0 }
		END { emit() }'
}

# script_examples SCRIPT: the example lines of an examples/*.sh usage (after
# "Example...:" or "Examples:"; a label such as "crontab:" taken off), and the
# indented block after "Then review the SQL"; each ended by a NUL.
script_examples() {
	"$EX/$1" --help | awk '
		/^Examples?( \(.*\))?:$/ { ex = 1; next }
		ex && /^$/ { exit }
		ex { line = $0; sub(/^ +/, "", line); sub(/^[A-Za-z]+: +/, "", line); printf "%s%c", line, 0; next }
		/^Then review the SQL/ { flow = 1; buf = ""; next }
		flow && /^$/ && buf == "" { next }
		flow && /^  / { line = $0; sub(/^ +/, "", line); buf = buf line "\n"; next }
		flow { printf "%s%c", buf, 0; flow = 0 }'
}

# run_all SOURCE SHELL: runs the examples on standard input (NUL-ended).
# A crontab line runs its command (what cron would run) with /bin/sh, or
# with bash when the page's crontab sets SHELL=/bin/bash; a Nagios command
# definition runs its command_line with the arguments of the page's service.
run_all() {
	local src=$1 text cmd shell args='' cronshell=/bin/sh
	local -a all=()
	while IFS= read -r -d '' text; do
		all+=("$text")
		[[ $text != *'SHELL=/bin/bash'* ]] || cronshell=bash
		[[ $text != *check_command* ]] || args=$(sed -n 's/.*check_command *[^!]*!\(.*\)/\1/p' <<<"$text")
	done
	for text in "${all[@]}"; do
		case $text in
		groups:*)
			not_here "$src" "$text" "Prometheus rules: tests/bkage.bats passes them through promtool" ;;
		'define service'*)
			not_here "$src" "$text" "a Nagios service: its check_command arguments are given to the command above" ;;
		'define command'*)
			not_here "$src" "$text" "a Nagios object: its command_line runs, with \$ARGn\$ from the service"
			cmd=$(sed -n 's/^ *command_line *//p' <<<"$text")
			local i=1 a
			IFS='!' read -ra a <<<"$args"
			for a in "${a[@]}"; do
				cmd=${cmd//\$ARG$i\$/$a}
				i=$((i + 1))
			done
			run_example "$src" /bin/sh "${cmd//\$\$/\$}" ;;
		command_line*)
			not_here "$src" "$text" "a Nagios command_line: it runs with \$ARG1\$ the page's prefix"
			cmd=${text#command_line}
			run_example "$src" /bin/sh "${cmd//\$ARG1\$/s3://backups/db/}" ;;
		*)
			if grep -qE '^[0-9*/,-]+ +[0-9*/,-]+ +[0-9*/,-]+ +[0-9*/,-]+ +[0-9*/,-]+ ' <<<"$text"; then
				not_here "$src" "$text" "a crontab line: its command runs, with the crontab's shell"
				cmd=$(grep -vx 'SHELL=/bin/bash' <<<"$text" | sed -E 's/^([0-9*\/,-]+ +){5}//')
				run_example "$src" "$cronshell" "$cmd"
			else
				run_example "$src" bash "$text"
			fi ;;
		esac
	done
}

setup() {
	N=0 RAN=0 FAILED=''
}

# finish MIN: fails with every example of the test that did not do what its
# page says; fewer than MIN examples run is a failure too.
finish() {
	[[ -z $FAILED ]] || fail "$FAILED"
	((RAN >= $1)) || fail "only $RAN examples found"
}

@test "bkage(1): every EXAMPLES entry runs on backup.sh's layout: health in cron and Nagios, Prometheus, local files, the newest proven restored, retention that keeps the proven" {
	run_all bkage.1 < <(scd_examples "$TESTS_DIR/../man/bkage.1.scd" EXAMPLES)
	finish 9
}

@test "bkpipe(7): every EXAMPLES entry runs: a nightly backup, the newest proven restored and counted, one table back, an archive, a check, health, retention, a shared backup" {
	run_all bkpipe.7 < <(scd_examples "$TESTS_DIR/../man/bkpipe.7.scd" EXAMPLES)
	finish 8
}

@test "gzcat-verify(1), pgcount(1), s3get(1), s3ls(1), s3put(1), s3rm(1): every EXAMPLES entry runs" {
	local page
	for page in gzcat-verify pgcount s3get s3ls s3put s3rm; do
		run_all "$page.1" < <(scd_examples "$TESTS_DIR/../man/$page.1.scd" EXAMPLES)
	done
	finish 17
}

@test "pgfeed(1): every recipe of RECOVERY RECIPES runs: a full restore, rows and a table back, a staging copy, one schema, --clean, an archive, a look first, the counts" {
	run_all pgfeed.1 < <(scd_examples "$TESTS_DIR/../man/pgfeed.1.scd" 'RECOVERY RECIPES')
	finish 10
}

@test "--help: every example under Examples: of every program runs (and pgcount's diff)" {
	local p
	for p in s3ls s3get s3put s3rm bkage pgfeed pgcount gzcat-verify; do
		run_all "$p --help" < <(help_examples "$p")
	done
	finish 15
}

@test "examples/*.sh --help: every example of their usage runs: the crontab lines' commands, the Nagios command line, recover-table.sh's put-back" {
	local s
	for s in backup.sh health-check.sh restore.sh retention.sh validate.sh recover-table.sh; do
		# restore.sh's examples name it alone: they run with examples/ on PATH
		if [[ $s == restore.sh ]]; then
			PATH=$EX:$PATH run_all "$s --help" < <(script_examples "$s")
		else
			run_all "$s --help" < <(script_examples "$s")
		fi
	done
	finish 9
}
