#!/usr/bin/env bash
# recover-table.sh: after an accidental DELETE, bring one table back from a
# backup beside the live one, and write the SQL that puts the missing rows
# back. See --help.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/runbook.sh
. "$(dirname "$(readlink -f "$0")")/lib/runbook.sh" || exit 2

usage() {
	cat <<'EOF'
Usage: recover-table.sh [options] TABLE [BACKUP]

For rows deleted by mistake: brings TABLE as it was in a backup back beside
the live table, and writes the SQL that puts the missing rows back. The live
table itself is not touched.

  1. restores TABLE (schema.table) from BACKUP (an s3:// URL, or a name under
     BACKUP_PREFIX; default: the newest proven backup) into TABLE_restored,
     in the live database, in one transaction:
       .sql.gz  s3get | gzcat-verify | pgfeed -1 -O -x -t TABLE --into TABLE_restored
       .dump    s3get | pg_restore -f - | pgfeed -1 -O -x -t TABLE --into ...
     (data and columns only: no indexes, triggers or grants; owned by the
     user who runs this);
  2. counts the rows of the backup that are missing from TABLE now, by its
     primary key;
  3. prints on standard output the SQL that inserts them:
       INSERT INTO TABLE (...) SELECT ... FROM TABLE_restored r
       WHERE NOT EXISTS (SELECT FROM TABLE t WHERE t.pk = r.pk);
     Rows still there, changed since the backup or not, are left alone.
     Columns added since the backup take their defaults. A table without a
     primary key is compared whole (EXCEPT ALL). A partitioned table is
     recovered partition by partition: name the partitions.

Pick a backup from before the DELETE: list them with  s3ls BACKUP_PREFIX.
Then review the SQL, run it, and drop TABLE_restored:

  /usr/local/share/bkpipe/recover-table.sh sales.orders 2026-01-26_03-00-00.sql.gz > put-back.sql
  psql -X -v ON_ERROR_STOP=1 -1 -f put-back.sql "$DATABASE_URL"
  psql -X -c 'DROP TABLE sales.orders_restored' "$DATABASE_URL"

Options:
  --into NAME   restore into NAME ([SCHEMA.]NAME, lowercase letters, digits
                and _) instead of TABLE_restored in TABLE's schema
  -q, --quiet   print only errors and warnings on stderr
  -h, --help    show this help and exit

Environment (defaults in brackets):
  DATABASE_URL   the live database, a libpq URI or conninfo string
                 [libpq's PG* variables]
  BACKUP_PREFIX  where the backups are, an s3:// prefix [s3://backups/db/]
  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL,
  AWS_PROFILE, ...  the S3 credentials and endpoint, as s3ls(1) describes
  PATH           must reach s3ls, s3get, bkage, gzcat-verify, pgfeed,
                 pg_restore and psql

Exit status:
  0  TABLE_restored is there and the SQL was printed
  1  it failed: the backup is damaged, TABLE is not in it or not in the
     database, or the server said no (nothing was committed)
  2  usage or configuration error, TABLE_restored exists already, or TABLE
     is partitioned (its partitions are named, to recover one by one)
  3  network or server trouble outlived the retries; nothing was committed
EOF
}

# pattern NAME: NAME as a pg_dump name pattern matching it exactly (quoted
# unless it is a plain lowercase identifier).
pattern() {
	if [[ $1 =~ ^[a-z_][a-z0-9_]*$ ]]; then
		printf '%s' "$1"
	else
		printf '"%s"' "${1//\"/\"\"}"
	fi
}

into=''
table=''
backup=''
while (($#)); do
	case $1 in
	--into) (($# >= 2)) || die 2 "--into needs a name"; into=$2; shift ;;
	--into=*) into=${1#*=} ;;
	-q | --quiet) quiet=1 ;;
	-h | --help) usage; exit 0 ;;
	-*) die 2 "unknown option: $1 (see --help)" ;;
	*)
		if [[ -z $table ]]; then
			table=$1
		elif [[ -z $backup ]]; then
			backup=$1
		else
			die 2 "too many arguments (see --help)"
		fi
		;;
	esac
	shift
done
[[ -n $table ]] || die 2 "which table? (see --help)"
if [[ -n $into ]] && ! [[ $into =~ ^([a-z_][a-z0-9_]*\.)?[a-z_][a-z0-9_]*$ ]]; then
	die 2 "--into takes [SCHEMA.]NAME in lowercase letters, digits and _, not '$into'"
fi

prefix=$(backup_prefix)
[[ $prefix == s3://?* ]] || die 2 "BACKUP_PREFIX must be an s3:// URL, not '${BACKUP_PREFIX:-}'"
# The live database, DATABASE_URL: for sql as db, for pgfeed as conn. Without
# it (db empty, conn no argument), both use libpq's PG* variables.
db=${DATABASE_URL:-}
conn=()
if [[ -n $db ]]; then
	conn=("$db")
fi
need s3ls s3get bkage gzcat-verify pgfeed pg_restore psql
work=$(mktemp -d "${TMPDIR:-/tmp}/recover-table.XXXXXX")
trap 'rm -rf "$work"' EXIT

t_all=$EPOCHREALTIME

# 1. The backup.
url=$(backup_url "$prefix" "$backup" "$work")
format=$(backup_format "$url")

# 2. The table in the live database, and the name to restore it under.
names=$(sql "$db" -v t="$table" -v into="$into" <<-'SQL'
	SELECT n.nspname, c.relname, format('%I.%I', n.nspname, c.relname),
	       coalesce(nullif(split_part(:'into', '.', 2), ''), nullif(:'into', ''),
	                c.relname || '_restored'),
	       CASE WHEN :'into' LIKE '%.%' THEN split_part(:'into', '.', 1) ELSE n.nspname END,
	       CASE WHEN c.relkind = 'p' THEN
	           (SELECT string_agg('recover-table.sh ' || CASE WHEN q.name ~ '^[a-z0-9_.]+$' THEN q.name
	                                  ELSE quote_literal(q.name) END, '; ' ORDER BY q.name)
	            FROM pg_partition_tree(c.oid) t,
	                 LATERAL (SELECT format('%I.%I', pn.nspname, pc.relname) AS name
	                          FROM pg_class pc JOIN pg_namespace pn ON pn.oid = pc.relnamespace
	                          WHERE pc.oid = t.relid) q
	            WHERE t.isleaf) END
	FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	WHERE c.oid = to_regclass(:'t') AND c.relkind IN ('r', 'p')
SQL
) || die "$(psql_status "$?")" "could not look up $table in the database"
if [[ -z $names ]]; then
	decode='gzcat-verify'
	[[ $format == plain ]] || decode='pg_restore -f -'
	die 1 "$table: no such table in the database; to bring a dropped table back whole," \
		"with its indexes and constraints:" \
		"s3get $url | $decode | pgfeed -1 -t '$table' --with-indexes --fk-not-valid \"\$DATABASE_URL\""
fi
IFS=$US read -r schema relname live into_name into_schema leaves <<<"$names"
# A partitioned table holds no rows itself: its partitions do, each a table
# of its own in the backup.
if [[ -n $leaves ]]; then
	die 2 "$live is partitioned: its rows are in its partitions; recover the ones that lost rows," \
		"one by one: $leaves"
fi
found=$(sql "$db" -v s="$into_schema" -v n="$into_name" <<-'SQL'
	SELECT format('%I.%I', :'s', :'n'), to_regclass(format('%I.%I', :'s', :'n')) IS NOT NULL
SQL
) || die "$(psql_status "$?")" "could not look up the name to restore into"
IFS=$US read -r restored exists <<<"$found"
[[ $exists == f ]] || die 2 "$restored exists already (from an earlier recovery?): drop it, or name another with --into"

# 3. The table from the backup, beside the live one.
t=$EPOCHREALTIME
say "restoring $live from $url into $restored"
feed=(pgfeed -1 -O -x -t "$(pattern "$schema").$(pattern "$relname")"
	--into "$(pattern "$into_schema").$(pattern "$into_name")" "${conn[@]}")
# s3get | gzcat-verify | pgfeed (custom: pg_restore -f - for gzcat-verify)
backup_sql "restoring the table" "$url" "$format" 'pgfeed -1' "${feed[@]}" ||
	die "$?" "nothing was committed"
check=$(sql "$db" -v r="$restored" <<<"SELECT to_regclass(:'r') IS NOT NULL") ||
	die "$(psql_status "$?")" "could not look up $restored"
[[ $check == t ]] || die 1 "$live is not in the backup $url (nothing was restored)"

# 4. The SQL that puts the missing rows back: the live table's columns that
# the restored one has too (but generated ones), matched by the primary key.
plan=$(sql "$db" -v live="$live" -v rest="$restored" <<-'SQL'
	WITH cols AS (
	    SELECT a.attname, a.attnum, a.attidentity
	    FROM pg_attribute a
	    WHERE a.attrelid = to_regclass(:'live') AND a.attnum > 0
	      AND NOT a.attisdropped AND a.attgenerated = ''
	      AND EXISTS (SELECT FROM pg_attribute b
	                  WHERE b.attrelid = to_regclass(:'rest') AND b.attname = a.attname
	                    AND b.attnum > 0 AND NOT b.attisdropped)),
	pk AS (
	    SELECT a.attname, k.ord
	    FROM pg_index i,
	         unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord),
	         pg_attribute a
	    WHERE i.indrelid = to_regclass(:'live') AND i.indisprimary
	      AND a.attrelid = i.indrelid AND a.attnum = k.attnum)
	SELECT (SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM cols),
	       coalesce((SELECT string_agg(format('t.%1$I = r.%1$I', attname), ' AND ' ORDER BY ord) FROM pk), ''),
	       coalesce((SELECT string_agg(quote_ident(attname), ', ' ORDER BY ord) FROM pk), ''),
	       (SELECT count(*) FROM pk) = (SELECT count(*) FROM pk JOIN cols USING (attname)),
	       coalesce((SELECT bool_or(attidentity = 'a') FROM cols), false),
	       coalesce((SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
	                 FROM pg_attribute a
	                 WHERE a.attrelid = to_regclass(:'live') AND a.attnum > 0 AND NOT a.attisdropped
	                   AND a.attgenerated = '' AND a.attname NOT IN (SELECT attname FROM cols)), '')
SQL
) || die "$(psql_status "$?")" "could not read the columns of $live"
IFS=$US read -r cols pkcond pkcols pk_ok always newcols <<<"$plan"
[[ -n $cols ]] || die 1 "$restored and $live have no column in common"

overriding=''
if [[ $always == t ]]; then
	overriding=$'\nOVERRIDING SYSTEM VALUE'
fi
if [[ -n $pkcond && $pk_ok == t ]]; then
	how="by the primary key ($pkcols)"
	pick="SELECT $cols
FROM $restored AS r
WHERE NOT EXISTS (SELECT FROM $live AS t WHERE $pkcond)"
else
	how="comparing whole rows, as $live has no primary key the backup has too"
	pick="SELECT $cols FROM $restored
EXCEPT ALL
SELECT $cols FROM $live"
fi
counts=$(sql "$db" <<<"SELECT (SELECT count(*) FROM $restored), (SELECT count(*) FROM ($pick) AS missing)") ||
	die "$(psql_status "$?")" "could not count the missing rows"
IFS=$US read -r in_backup missing <<<"$counts"
say "restored $in_backup rows of $live into $restored ($(elapsed "$t"))"
say "$missing of them are missing from $live now, $how"
if [[ -n $newcols ]]; then
	say "columns added since the backup take their defaults: $newcols"
fi

cat <<EOF
-- Put back the rows of $live that are in the backup
--   $url
-- but missing now: $missing rows when this was written, $how.
-- Rows still there are left alone. Review, then run:
--   psql -X -v ON_ERROR_STOP=1 -1 -f THIS_FILE
-- and when the table is right again: DROP TABLE $restored;
INSERT INTO $live ($cols)$overriding
$pick;
EOF
say "done in $(elapsed "$t_all"); the SQL is on standard output: review it, run it with psql -1, then DROP TABLE $restored"
