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
  2. creates the roles of the backup that the server of RESTORE_SERVER
     lacks, in one transaction, from what backup.sh stored beside it
     (s3://B/.proofs/KEY.roles.sql, pg_dumpall --roles-only): a role that
     exists is left as it is (its attributes, password, settings and
     memberships; pg_dumpall's statements about it are not run), one that
     does not is created as it was, without a password unless backup.sh
     kept them;
  3. creates the database RESTORE_DB as the backup's was: its encoding,
     locale, settings, connection limit, comment, owner and grants
     (s3://B/.proofs/KEY.database.sql, applied by psql -v dbname=RESTORE_DB;
     a file with a backslash, which backup.sh never writes and psql would
     take for a command, is refused). A database that exists and
     is empty is used, and gets the settings, owner and grants; one that is
     not empty is refused, unless --clean. A backup without these (made
     before bkpipe 0.2, or by other means) is restored into a database
     created from template0 with the server's defaults, and a warning;
  4. streams the backup into it in one transaction, so that a damaged,
     truncated or refused backup commits nothing; its objects keep the
     owners and grants the dump gives them:
       .sql.gz  s3get | gzcat-verify | pgfeed -1
       .dump    s3get | pg_restore -1 -d
  5. counts the rows of the restored database and compares them with the
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
  --no-owner       skip the roles, and ownership and privileges (pgfeed -O
                   -x, pg_restore -O -x; of KEY.database.sql, the encoding,
                   locale and settings only): everything then belongs to the
                   user who restores
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
  1  no proven backup; or the roles or the database could not be created
     as they were (the server's message says why; roles created stay, and
     a run again creates the rest); or the restore failed: the backup is damaged or
     incomplete (and now marked so), the server
     refused a statement (nothing was committed; a database this run created
     is dropped again), or the counts differ (the database is kept for
     inspection, the differences are printed)
  2  usage or configuration error, or a target database that is not empty
  3  network or server trouble outlived the retries; nothing was committed

Examples:
  /usr/local/share/bkpipe/restore.sh            # the newest proven, into restored_...
  RESTORE_DB=app_0126 /usr/local/share/bkpipe/restore.sh 2026-01-26_03-00-00.sql.gz
  RESTORE_SERVER=$DATABASE_URL /usr/local/share/bkpipe/restore.sh --clean --into app   # disaster recovery
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
# roles_missing EXISTING ROLES_SQL: ROLES_SQL (pg_dumpall --roles-only)
# without what it says of the roles named in EXISTING (one a line, as
# pg_roles has them), so that those are left as they are: their CREATE ROLE
# and ALTER ROLE statements, the GRANTs that make them members of a role,
# and a COMMENT ON ROLE of one line. Role names are read as pg_dumpall
# writes them, bare or in double quotes.
roles_missing() {
	awk '
	# name(s): the role name s begins with, unquoted; its length as written in len.
	function name(s,   n, c, i) {
		if (s !~ /^"/) { match(s, /^[^ ;,]+/); len = RLENGTH; return substr(s, 1, RLENGTH) }
		for (i = 2; i <= length(s); i++) {
			c = substr(s, i, 1)
			if (c == "\"" && substr(s, i + 1, 1) != "\"") break
			if (c == "\"") i++
			n = n c
		}
		len = i
		return n
	}
	NR == FNR { have[$0]; next }
	/^(CREATE|ALTER) ROLE / && name(substr($0, length($1) + 7)) in have { next }
	/^COMMENT ON ROLE / && /;$/ && gsub(/\047/, "\047") % 2 == 0 && name(substr($0, 17)) in have { next }
	/^GRANT / { name(substr($0, 7)); if (substr($0, 7 + len, 4) == " TO " && name(substr($0, 11 + len)) in have) next }
	{ print }
	' "$1" "$2"
}

# database_part FILE SECTIONS: the sections of FILE (a KEY.database.sql of
# backup.sh) named in SECTIONS, separated by |: create, settings, owner and
# privileges.
database_part() {
	awk -v want="|$2|" '/^-- bkpipe: / { on = index(want, "|" substr($0, 12) "|") > 0; next } on' "$1"
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
roles_url=$(proof_url "$url" .roles.sql)
database_url=$(proof_url "$url" .database.sql)
proofs=$(s3ls "$(proof_url "$url" '')") || die "$?" "could not list the proofs of $url"
# listed URL: whether URL is among the proofs listed.
listed() { awk -F'\t' -v u="$1" '$3 == u { found = 1 } END { exit !found }' <<<"$proofs"; }
if listed "$damaged"; then
	warn "$url was found damaged before ($damaged: $(s3get "$damaged" 2>/dev/null | head -n 1));" \
		"restoring it as asked"
fi
if listed "$counts"; then
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
# The database as it was, when backup.sh stored it: the sections of it to
# apply (database_part), all but its CREATE DATABASE; without the owner and
# the grants for --no-owner.
parts=''
if listed "$database_url"; then
	s3get "$database_url" >"$tmp/database.sql" || die "$?" "could not read $database_url"
	if grep -q '[\]' "$tmp/database.sql"; then
		die 1 "$database_url holds a backslash, which backup.sh never writes and psql would take for a command: not applied"
	fi
	grep -qxF -- '-- bkpipe: create' "$tmp/database.sql" ||
		die 1 "$database_url is not as backup.sh writes it: no CREATE DATABASE section"
	parts='settings|owner and privileges'
	if ((no_owner)); then
		parts=settings
	fi
else
	warn "no $database_url (a backup made before bkpipe 0.2, or not by backup.sh):" \
		"the database gets the server's defaults, not the backup's settings and grants"
fi

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
fi

# The roles first, those the server lacks, all or none.
if ((!no_owner)) && listed "$roles_url"; then
	s3get "$roles_url" >"$tmp/roles.sql" || die "$?" "could not read $roles_url"
	sql "$maint" <<<'SELECT rolname FROM pg_roles' >"$tmp/roles.existing" ||
		die "$(psql_status "$?")" "could not list the roles of the server to restore on"
	roles_missing "$tmp/roles.existing" "$tmp/roles.sql" >"$tmp/roles.missing.sql"
	missing=$(sed -n 's/^CREATE ROLE \(.*\);$/\1/p' "$tmp/roles.missing.sql" | paste -sd ' ')
	if [[ -n $missing ]]; then
		pgfeed -1 -f "$tmp/roles.missing.sql" "$maint" ||
			die "$?" "could not create the roles of the backup ($roles_url): none was created"
		say "roles: created $missing; the others of the backup exist, left as they are"
	else
		say "roles: every role of the backup exists on the server, left as it is"
	fi
elif ((!no_owner)); then
	warn "no $roles_url (a backup made before bkpipe 0.2, or not by backup.sh):" \
		"the roles that own the backup's objects must exist on the server, or restore with --no-owner"
fi

# Then the database, as the backup's was.
what="its encoding, locale, settings, owner and grants"
if ((no_owner)); then
	what="its encoding, locale and settings (--no-owner)"
fi
if ((exists)) && [[ -n $parts ]]; then
	database_part "$tmp/database.sql" "$parts" | sql "$maint" -v dbname="$into" ||
		die "$(psql_status "$?")" "could not give the database $into the settings of the backup's ($database_url)"
fi
if ((exists && used)); then
	say "target: the database $into, not empty: the backup's objects are dropped and created again (--clean)"
elif ((exists)); then
	say "target: the database $into, empty"
elif [[ -n $parts ]]; then
	database_part "$tmp/database.sql" create | sql "$maint" -v dbname="$into" ||
		die "$(psql_status "$?")" "could not create the database $into as the backup's was ($database_url);" \
			"for a locale or a tablespace this server lacks, create $into by hand and run again:" \
			"an empty database gets the backup's settings, owner and grants"
	created=1
	database_part "$tmp/database.sql" "$parts" | sql "$maint" -v dbname="$into" ||
		die "$(psql_status "$?")" "could not give the database $into the settings of the backup's ($database_url)"
	say "target: the database $into, created as the backup's was: $what"
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
