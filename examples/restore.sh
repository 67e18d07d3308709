#!/usr/bin/env bash
# restore.sh: restore a backup into a database of its own and prove it with
# row counts. See --help.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/runbook.sh
. "$(dirname "$(readlink -f "$0")")/lib/runbook.sh" || exit 2

usage() {
	cat <<'EOF'
Usage: restore.sh [options] [BACKUP]

Restores a backup made by backup.sh into a new database and proves it:

  1. takes BACKUP (an s3:// URL, or a name under BACKUP_PREFIX such as
     2026-01-26_03-00-00.sql.gz), or else the newest proven backup under
     BACKUP_PREFIX: s3ls PREFIX | bkage --latest --proofs <(s3ls PROOFS),
     where PROOFS is s3://B/.proofs/KEY for BACKUP_PREFIX s3://B/KEY. A
     backup is proven when its counts (.counts) are there and no .damaged:
     one found damaged, or never proven, is passed over;
  2. creates the database RESTORE_DB (from template0) on the server of
     RESTORE_SERVER, or uses it when it exists and is empty; a database that
     is not empty is refused, unless --clean;
  3. streams the backup into it in one transaction, so that a damaged,
     truncated or refused backup commits nothing:
       .sql.gz  s3get | gzcat-verify | pgfeed -1
       .dump    s3get | pg_restore -1 -d
  4. counts the rows of the restored database and compares them with the
     counts backup.sh stored (s3://B/.proofs/KEY.counts): pgcount --expect. A
     backup without them is counted itself (pgcount --dump; pg_restore -f -
     first for .dump).

When the backup itself is found damaged (gzcat-verify fails on what s3get
read whole, or the dump or archive is cut short), it is marked so: a note at
s3://B/.proofs/KEY.damaged, which sets it aside for the next restore, test
restore, copy and health check. A failure of the database or the network
marks nothing.

The name of the restored database is printed on standard output; what was
done, with timings, on stderr. Nothing here prints a password.

Options:
  --into NAME      restore into the database NAME (default: RESTORE_DB)
  --clean          restore over a database that is not empty: drop each
                   object of the backup and create it again, in the same
                   transaction (pgfeed -c; pg_restore --clean --if-exists):
                   all of it, or nothing when anything fails. pgfeed -c drops
                   with CASCADE: objects made since the backup that depend on
                   the backup's go too. Tables the backup does not have are
                   left, and show as count differences.
  --no-owner       skip ownership and privileges (pgfeed -O -x, pg_restore
                   -O -x), for a server without the roles of the backup
  -q, --quiet      print only errors and warnings on stderr
  -h, --help       show this help and exit

Environment (defaults in brackets):
  BACKUP_PREFIX    where the backups are, an s3:// prefix [s3://backups/db/]
  RESTORE_SERVER   the server to restore on: a libpq URI or conninfo of any
                   database there, which CREATE DATABASE runs in; the
                   restore goes to RESTORE_DB on the same server
                   [DATABASE_URL, else libpq's PG* variables]
  RESTORE_DB       the database to restore into, letters, digits and _
                   [restored_YYYYMMDD_HHMMSS, the time in UTC]
  RESTORE_NO_OWNER 1: as --no-owner [0]
  COUNT_TOLERANCE  differences within this percentage are not differences,
                   as pgcount --tolerance, e.g. 1% [none: exact]
  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL,
  AWS_PROFILE, ...  the S3 credentials and endpoint, as s3ls(1) describes
  PATH             must reach s3ls, s3get, s3put, bkage, gzcat-verify,
                   pgfeed, pgcount, pg_restore and psql

Exit status:
  0  restored, and the counts match
  1  no proven backup; or the restore failed: the backup is damaged or
     incomplete (and now marked so), the server
     refused a statement (nothing was committed; a database this run created
     is dropped again), or the counts differ (the database is kept for
     inspection, the differences are printed)
  2  usage or configuration error, or a target database that is not empty
  3  network or server trouble outlived the retries; nothing was committed

Examples:
  restore.sh                                   # the newest proven, into restored_...
  RESTORE_DB=app_0126 restore.sh 2026-01-26_03-00-00.sql.gz
  RESTORE_SERVER=$DATABASE_URL restore.sh --clean --into app   # disaster recovery
EOF
}

into=${RESTORE_DB:-}
clean=0
no_owner=${RESTORE_NO_OWNER:-0}
backup=''
while (($#)); do
	case $1 in
	--into) (($# >= 2)) || die 2 "--into needs a database name"; into=$2; shift ;;
	--into=*) into=${1#*=} ;;
	--clean) clean=1 ;;
	--no-owner) no_owner=1 ;;
	-q | --quiet) quiet=1 ;;
	-h | --help) usage; exit 0 ;;
	-*) die 2 "unknown option: $1 (see --help)" ;;
	*) [[ -z $backup ]] || die 2 "one BACKUP at most (see --help)"; backup=$1 ;;
	esac
	shift
done

prefix=$(backup_prefix)
server=${RESTORE_SERVER:-${DATABASE_URL:-}}
into=${into:-restored_$(date -u +%Y%m%d_%H%M%S)}
[[ $prefix == s3://?* ]] || die 2 "BACKUP_PREFIX must be an s3:// URL, not '${BACKUP_PREFIX:-}'"
[[ $into =~ ^[A-Za-z_][A-Za-z0-9_]{0,62}$ ]] ||
	die 2 "the database name must be letters, digits and _ (at most 63), not '$into'"
[[ $no_owner == [01] ]] || die 2 "RESTORE_NO_OWNER must be 0 or 1, not '$no_owner'"
tolerance=()
if [[ -n ${COUNT_TOLERANCE:-} ]]; then
	tolerance=(--tolerance "$COUNT_TOLERANCE")
fi
need s3ls s3get s3put bkage gzcat-verify pgfeed pgcount pg_restore psql numfmt

# on_db NAME: a conninfo for database NAME on the server of RESTORE_SERVER
# (libpq takes the last dbname given, in a URI's query too).
on_db() {
	case $server in
	'') printf 'dbname=%s' "$1" ;;
	postgres://* | postgresql://*)
		if [[ $server == *\?* ]]; then
			printf '%s&dbname=%s' "$server" "$1"
		else
			printf '%s?dbname=%s' "$server" "$1"
		fi
		;;
	*) printf '%s dbname=%s' "$server" "$1" ;;
	esac
}
maint=${server:-dbname=${PGDATABASE:-postgres}}
target=$(on_db "$into")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/restore.XXXXXX")
created=''  # set while a database this run created may be dropped again
cleanup() {
	if [[ -n $created ]]; then
		if sql "$maint" -v db="$into" <<<'DROP DATABASE IF EXISTS :"db"'; then
			note "dropped the database $into it had created"
		else
			note "could not drop the database $into it had created"
		fi
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

t_all=$EPOCHREALTIME

# 1. The backup (the newest proven, unless named), and its counts.
export BACKUP_ERRORS=$tmp/errors
url=$(backup_url "$prefix" "$backup" "$tmp")
format=$(backup_format "$url")
listing=$(s3ls "$url") || die "$?" "could not list $url"
line=$(awk -F'\t' -v u="$url" '$3 == u' <<<"$listing")
[[ -n $line ]] || die 1 "$url: no such backup (list them with: s3ls $prefix)"
IFS=$'\t' read -r modified size _ <<<"$line"
say "backup: $url ($format, $(human "$size"), stored $modified)"

counts=$(proof_url "$url" .counts)
damaged=$(proof_url "$url" .damaged)
proofs=$(s3ls "$(proof_url "$url" '')") || die "$?" "could not list the proofs of $url"
if awk -F'\t' -v u="$damaged" '$3 == u { found = 1 } END { exit !found }' <<<"$proofs"; then
	warn "$url was found damaged before ($damaged: $(s3get "$damaged" 2>/dev/null | head -n 1));" \
		"restoring it as asked"
fi
if awk -F'\t' -v u="$counts" '$3 == u { found = 1 } END { exit !found }' <<<"$proofs"; then
	s3get "$counts" >"$tmp/expected" || die "$?" "could not read $counts"
	counts_from="as stored by backup.sh"
else
	warn "no $counts: the backup was not proven by backup.sh; counting the backup itself"
	t=$EPOCHREALTIME
	backup_sql "counting the backup" "$url" "$format" 'pgcount --dump' \
		pgcount --dump >"$tmp/expected" || exit "$?"
	say "counted the backup ($(elapsed "$t"))"
	counts_from="as counted in the backup"
fi
read -r tables rows < <(awk -F'\t' '{ r += $2 } END { print NR, r + 0 }' "$tmp/expected")

# 2. The target database: new, or empty, or --clean.
exists=$(sql "$maint" -v db="$into" <<<"SELECT count(*) FROM pg_database WHERE datname = :'db'") ||
	die "$(psql_status "$?")" "could not reach the server to restore on (RESTORE_SERVER)"
if ((exists)); then
	used=$(sql "$target" <<-'SQL'
		SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
		          AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%')
		     + (SELECT count(*) FROM pg_namespace
		        WHERE nspname NOT IN ('public', 'pg_catalog', 'information_schema', 'pg_toast')
		          AND nspname NOT LIKE 'pg\_temp\_%' AND nspname NOT LIKE 'pg\_toast\_temp\_%')
	SQL
	) || die "$(psql_status "$?")" "could not look into the database $into"
	if ((used && !clean)); then
		die 2 "refusing to restore over the database $into: it is not empty ($used schemas and relations);" \
			"restore into a new one (--into NAME), or pass --clean to replace the backup's objects in it"
	fi
	if ((used)); then
		say "target: the database $into, not empty: the backup's objects are dropped and created again (--clean)"
	else
		say "target: the database $into, empty"
	fi
else
	sql "$maint" -v db="$into" <<<'CREATE DATABASE :"db" TEMPLATE template0' ||
		die "$(psql_status "$?")" "could not create the database $into"
	created=1
	say "target: the database $into, created"
fi

# 3. The restore, in one transaction.
t=$EPOCHREALTIME
opts=()
st=()
if [[ $format == plain ]]; then
	((no_owner)) && opts+=(-O -x)
	((clean)) && opts+=(-c)
	stages='s3get|gzcat-verify|pgfeed -1'
	{ s3get "$url" | gzcat-verify | pgfeed -1 "${opts[@]}" "$target" || st=("${PIPESTATUS[@]}"); } \
		2> >(tee "$tmp/errors" >&2)
else
	((no_owner)) && opts+=(-O -x)
	((clean)) && opts+=(--clean --if-exists)
	stages='s3get|pg_restore -1'
	{ s3get "$url" | pg_restore -1 "${opts[@]}" -d "$target" || st=("${PIPESTATUS[@]}"); } \
		2> >(tee "$tmp/errors" >&2)
fi
wait "$!" 2>/dev/null || true
if ((${#st[@]})); then
	status=$(pipe_failed "the restore" "$stages" "${st[@]}")
	if backup_is_damaged "$tmp/errors" "$stages" "${st[@]}"; then
		mark_damaged "$url" "the restore failed: $(damage_of "$tmp/errors")"
	fi
	die "$status" "nothing was committed to the database $into"
fi
created=''
say "restored in $(elapsed "$t")"

# 4. The counts.
t=$EPOCHREALTIME
set +e
pgcount --expect "$tmp/expected" "${tolerance[@]}" "$target" >"$tmp/differences"
status=$?
set -e
if ((status == 1)) && [[ -s $tmp/differences ]]; then
	n=$(wc -l <"$tmp/differences")
	note "the counts differ from the backup's ($counts_from) in $n $( ((n == 1)) && echo table || echo tables):"
	note "  TABLE	IN THE BACKUP	RESTORED"
	while IFS= read -r line; do
		note "  $line"
	done <"$tmp/differences"
	if ((exists)); then
		die 1 "the restore into the database $into is committed; look into the tables above"
	fi
	die 1 "the database $into is kept for inspection; drop it when done: DROP DATABASE $into"
elif ((status)); then
	die "$status" "could not count the rows of the database $into (pgcount)"
fi
say "counts match ($counts_from): $tables tables, $rows rows ($(elapsed "$t"))"
say "done in $(elapsed "$t_all"): $url restored into the database $into"
printf '%s\n' "$into"
