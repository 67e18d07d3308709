#!/usr/bin/env bash
# backup.sh: back up one PostgreSQL database to S3 and prove the copy.
# Run it from cron; run it by hand before a migration. See --help.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/runbook.sh
. "$(dirname "$(readlink -f "$0")")/lib/runbook.sh" || exit 2

usage() {
	cat <<'EOF'
Usage: backup.sh [-q] [--format plain|custom]

Backs up one PostgreSQL database to S3-compatible storage and proves the copy:

  1. counts the rows of every table in the database (pgcount);
  2. streams pg_dump into the bucket under a dated key, never over an
     existing one:  pg_dump | gzip | s3put  PREFIX2026-01-26_03-00-00.sql.gz
     (plain SQL), or  pg_dump -Fc | s3put  PREFIX2026-01-26_03-00-00.dump
     (custom archive);
  3. reads the object back whole and checks it: s3get | gzcat-verify (every
     gzip CRC) or s3get | pg_restore -f - (custom), then pgcount --dump (the
     dump must reach pg_dump's closing line), counting its rows;
  4. stores beside it what a restore needs to recreate the database as it
     was, which a dump made without --create does not hold:
       s3://B/.proofs/KEY.roles.sql     the roles of the server:
                                        pg_dumpall --roles-only
                                        --no-role-passwords
       s3://B/.proofs/KEY.database.sql  the database: CREATE DATABASE with its
                                        encoding and locale, its ALTER DATABASE
                                        ... SET settings, connection limit,
                                        comment, owner and grants, under the
                                        psql variable dbname:
                                        psql -v dbname=NEW -f KEY.database.sql
     restore.sh applies them: the roles missing on its server, then the
     database, then the dump;
  5. stores the counts as the backup's proof, last, for restore.sh and
     validate.sh to compare a restored database with: the backup
     s3://B/KEY has its counts at s3://B/.proofs/KEY.counts, apart, so that
     a listing of PREFIX holds backups and nothing else. When the database
     was written to during the backup, its counts and the backup's differ: the
     tables are listed as a warning and the backup's own counts are stored.

A backup that fails any step is deleted again, with everything stored beside
it, so restore.sh never picks up an unproven backup: a backup without its
.counts was never proven, and one with a .damaged (written by validate.sh or
restore.sh) was found damaged since. The URL of the new backup is printed
on standard output; what was done, on stderr.

The roles are stored without their passwords: a password hash is as good as
the password to whoever reads it (an MD5 one logs in as it is, a SCRAM one
can be guessed at offline), and the backups are read by more people and
machines than the server's own catalog. Restored roles then have no
password: set one (ALTER ROLE ... PASSWORD) or log in otherwise.
BACKUP_ROLE_PASSWORDS=1 keeps the hashes; pg_dumpall then needs a
superuser, and KEY.roles.sql must be kept as private as the server.

Options:
  --format plain|custom  plain SQL, gzip-compressed (.sql.gz), or pg_dump's
                         custom archive (.dump); default: BACKUP_FORMAT
  -q, --quiet            print only errors and warnings on stderr
  -h, --help             show this help and exit

Environment (defaults in brackets):
  DATABASE_URL     the database to back up, a libpq URI or conninfo string
                   [libpq's PG* variables: PGHOST, PGDATABASE, PGUSER, ...]
  BACKUP_PREFIX    where backups go: an s3:// prefix that the dated name is
                   appended to [s3://backups/db/]; not the bucket's root,
                   nor under .proofs/ (where the proofs go)
  BACKUP_FORMAT    plain or custom, as --format [plain]
  GZIP_LEVEL       gzip's compression level, 1-9 [6]
  PG_DUMP_OPTIONS  more pg_dump options, split at spaces [none],
                   e.g. "--no-owner --exclude-table-data=audit.*"
  BACKUP_ROLE_PASSWORDS  1: keep the roles' password hashes in KEY.roles.sql
                   (see above) [0: --no-role-passwords]
  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL,
  AWS_PROFILE, ...  the S3 credentials and endpoint, as s3ls(1) describes
                   (AWS_ENDPOINT_URL for MinIO, Ceph, Cloudflare R2)
  PATH             must reach pg_dump, pg_dumpall, pg_restore, psql, gzip,
                   pgcount, s3put, s3get, gzcat-verify, s3ls and s3rm

Exit status:
  0  the backup is stored, read back intact, the roles and the database's
     settings stored beside it, and its counts stored
  1  it failed: pg_dump, the database, the store or the copy said no (the
     messages above say which); no backup was left behind
  2  usage or configuration error (a bad option, missing credentials)
  3  network or server trouble outlived the retries; no backup left behind

Example (crontab; cron mails the output, which -q limits to trouble):
  15 3 * * *  BACKUP_PREFIX=s3://backups/app/ DATABASE_URL=postgresql:///app /usr/local/share/bkpipe/backup.sh -q
EOF
}

format=${BACKUP_FORMAT:-plain}
while (($#)); do
	case $1 in
	--format) (($# >= 2)) || die 2 "--format needs plain or custom"; format=$2; shift ;;
	--format=*) format=${1#*=} ;;
	-q | --quiet) quiet=1 ;;
	-h | --help) usage; exit 0 ;;
	*) die 2 "unknown argument: $1 (see --help)" ;;
	esac
	shift
done

prefix=$(backup_prefix)
level=${GZIP_LEVEL:-6}
[[ $prefix == s3://?* ]] || die 2 "BACKUP_PREFIX must be an s3:// URL, not '${BACKUP_PREFIX:-}'"
key=${prefix#s3://*/}
[[ -n $key ]] ||
	die 2 "BACKUP_PREFIX must name a prefix in the bucket, not its root ('$prefix'): the proofs, under .proofs/, would be listed among the backups"
[[ $key != .proofs/* ]] ||
	die 2 "BACKUP_PREFIX must not be under .proofs/ ('$prefix'): that is where the proofs of backups go"
[[ $level =~ ^[1-9]$ ]] || die 2 "GZIP_LEVEL must be 1 to 9, not '$level'"
role_passwords=${BACKUP_ROLE_PASSWORDS:-0}
[[ $role_passwords == [01] ]] || die 2 "BACKUP_ROLE_PASSWORDS must be 0 or 1, not '$role_passwords'"
case $format in
plain) suffix=.sql.gz ;;
custom) suffix=.dump ;;
*) die 2 "--format must be plain or custom, not '$format'" ;;
esac
read -ra dump_opts <<<"${PG_DUMP_OPTIONS:-}"
# The connection, when DATABASE_URL gives one; pg_dump and pgcount both take
# it as their database argument, and use the PG* variables without it.
# pg_dumpall takes it with -d.
conn=()
dumpall_conn=()
if [[ -n ${DATABASE_URL:-} ]]; then
	conn=("$DATABASE_URL")
	dumpall_conn=(-d "$DATABASE_URL")
fi
need pg_dump pg_dumpall pg_restore psql gzip pgcount s3put s3get gzcat-verify s3ls s3rm numfmt

# database_sql: SQL that recreates the database of DATABASE_URL as it is
# (what a dump made without --create leaves out), under the psql variable
# dbname: psql -v dbname=NEW -f FILE. Three sections, each after a line
# "-- bkpipe: NAME": create (CREATE DATABASE with its encoding, locale and
# tablespace), settings (ALTER DATABASE ... SET, as pg_dump writes them:
# list settings such as search_path element by element; the connection
# limit; the comment) and owner and privileges (the owner, the grants, and
# ALTER ROLE ... IN DATABASE ... SET), which need the roles. One statement
# a line, and no backslash anywhere: an identifier or a literal that holds
# one, or a control character, is written as U&'...' UESCAPE '!'; so that
# psql, which reads it, can find no meta-command in it (restore.sh refuses a
# file with a backslash). Columns of other versions (ICU, builtin locales)
# are read through to_jsonb, NULL where the server has none.
database_sql() {
	cat <<-'EOF'
		-- The database as it was backed up: its encoding, locale, settings, owner
		-- and grants, which a dump made without --create does not hold. Written by
		-- backup.sh; restore.sh applies it after the roles (KEY.roles.sql), under
		-- the name it restores into; by hand:
		--   psql -X -v ON_ERROR_STOP=1 -v dbname=NEW -d SERVER -f KEY.database.sql
	EOF
	psql -XAtq -v ON_ERROR_STOP=1 "${conn[@]}" <<-'SQL'
	-- The database, its columns of other versions through to_jsonb (j).
	WITH d AS (
		SELECT db.oid, db.encoding, db.datcollate, db.datctype, db.datdba, db.datacl,
		       db.datconnlimit, db.dattablespace, to_jsonb(db) AS j
		FROM pg_database db WHERE db.datname = current_database()
	-- Its settings, and its roles' settings in it (setrole), as name and value.
	), setting AS (
		SELECT s.setrole, c.n, split_part(c.cfg, '=', 1) AS name, substr(c.cfg, strpos(c.cfg, '=') + 1) AS value
		FROM d, pg_db_role_setting s, unnest(s.setconfig) WITH ORDINALITY c(cfg, n)
		WHERE s.setdatabase = d.oid
	-- A value as the literals that set it: a list setting's elements, unquoted,
	-- each a literal of its own, as pg_dump's makeAlterConfigCommand does.
	), val AS (
		SELECT setrole, n, name,
		       CASE WHEN lower(name) IN ('local_preload_libraries', 'search_path', 'session_preload_libraries',
		                                 'shared_preload_libraries', 'temp_tablespaces', 'unix_socket_directories')
		       THEN coalesce((SELECT array_agg(CASE WHEN m[1] LIKE '"%' THEN replace(substr(m[1], 2, length(m[1]) - 2), '""', '"')
		                                           ELSE m[1] END ORDER BY o)
		                      FROM regexp_matches(value, '("(?:[^"]|"")*"|[^",[:space:]]+)', 'g') WITH ORDINALITY r(m, o)),
		                     ARRAY[''])
		       ELSE ARRAY[value] END AS vals
		FROM setting
	-- The grants on it, one statement per grantee (0: PUBLIC).
	), grants AS (
		SELECT a.grantee, a.is_grantable, string_agg(a.privilege_type, ', ' ORDER BY a.privilege_type) AS privs
		FROM d, aclexplode(d.datacl) a
		WHERE a.grantee = 0 OR EXISTS (SELECT FROM pg_roles r WHERE r.oid = a.grantee)
		GROUP BY a.grantee, a.is_grantable
	-- The statements: section, order, a format() string, and its arguments
	-- with their kinds (I: an identifier, L: a literal), quoted below.
	), stmt(sec, ord, fmt, kinds, args) AS (
		SELECT 1, 0::bigint,
		       'CREATE DATABASE :"dbname" WITH TEMPLATE = template0 ENCODING = %s'
		       || CASE j->>'datlocprovider' WHEN 'c' THEN ' LOCALE_PROVIDER = libc' WHEN 'i' THEN ' LOCALE_PROVIDER = icu'
		                                   WHEN 'b' THEN ' LOCALE_PROVIDER = builtin' ELSE '' END
		       || ' LC_COLLATE = %s LC_CTYPE = %s'
		       || CASE WHEN j->>'datlocprovider' = 'i' THEN ' ICU_LOCALE = %s'
		               WHEN j->>'datlocprovider' = 'b' THEN ' BUILTIN_LOCALE = %s' ELSE '' END
		       || CASE WHEN j->>'daticurules' IS NOT NULL THEN ' ICU_RULES = %s' ELSE '' END
		       || CASE WHEN t.spcname <> 'pg_default' THEN ' TABLESPACE = %s' ELSE '' END || ';',
		       'LLL' || CASE WHEN j->>'datlocprovider' IN ('i', 'b') THEN 'L' ELSE '' END
		       || CASE WHEN j->>'daticurules' IS NOT NULL THEN 'L' ELSE '' END
		       || CASE WHEN t.spcname <> 'pg_default' THEN 'I' ELSE '' END,
		       ARRAY[pg_encoding_to_char(d.encoding)::text, d.datcollate::text, d.datctype::text]
		       || CASE WHEN j->>'datlocprovider' IN ('i', 'b') THEN ARRAY[coalesce(j->>'daticulocale', j->>'datlocale')] ELSE '{}' END
		       || CASE WHEN j->>'daticurules' IS NOT NULL THEN ARRAY[j->>'daticurules'] ELSE '{}' END
		       || CASE WHEN t.spcname <> 'pg_default' THEN ARRAY[t.spcname::text] ELSE '{}' END
		FROM d JOIN pg_tablespace t ON t.oid = d.dattablespace
		UNION ALL
		SELECT 2, n, 'ALTER DATABASE :"dbname" SET %s = ' || array_to_string(array_fill('%s'::text, ARRAY[cardinality(vals)]), ', ') || ';',
		       'I' || repeat('L', cardinality(vals)), name || vals
		FROM val WHERE setrole = 0
		UNION ALL
		SELECT 2, 1000000, 'ALTER DATABASE :"dbname" CONNECTION LIMIT ' || datconnlimit || ';', '', '{}'
		FROM d WHERE datconnlimit <> -1
		UNION ALL
		SELECT 2, 1000001, 'COMMENT ON DATABASE :"dbname" IS %s;', 'L', ARRAY[c]
		FROM d, shobj_description(d.oid, 'pg_database') c WHERE c IS NOT NULL
		UNION ALL
		SELECT 3, 0, 'ALTER DATABASE :"dbname" OWNER TO %s;', 'I', ARRAY[pg_get_userbyid(datdba)::text] FROM d
		UNION ALL
		SELECT 3, 1, 'REVOKE ALL ON DATABASE :"dbname" FROM PUBLIC;', '', '{}' FROM d WHERE datacl IS NOT NULL
		UNION ALL
		SELECT 3, 2, 'REVOKE ALL ON DATABASE :"dbname" FROM %s;', 'I', ARRAY[pg_get_userbyid(datdba)::text] FROM d WHERE datacl IS NOT NULL
		UNION ALL
		SELECT 3, 3 + row_number() OVER (ORDER BY grantee <> 0, pg_get_userbyid(grantee), is_grantable),
		       'GRANT ' || privs || ' ON DATABASE :"dbname" TO ' || CASE WHEN grantee = 0 THEN 'PUBLIC' ELSE '%s' END
		       || CASE WHEN is_grantable THEN ' WITH GRANT OPTION' ELSE '' END || ';',
		       CASE WHEN grantee = 0 THEN '' ELSE 'I' END,
		       CASE WHEN grantee = 0 THEN '{}' ELSE ARRAY[pg_get_userbyid(grantee)::text] END
		FROM grants
		UNION ALL
		SELECT 3, 1000000 + row_number() OVER (ORDER BY r.rolname, v.n),
		       'ALTER ROLE %s IN DATABASE :"dbname" SET %s = ' || array_to_string(array_fill('%s'::text, ARRAY[cardinality(vals)]), ', ') || ';',
		       'II' || repeat('L', cardinality(vals)), ARRAY[r.rolname::text, name] || vals
		FROM val v JOIN pg_roles r ON r.oid = v.setrole
	)
	-- Each section after its heading. An argument without a backslash or a
	-- control character is quoted by quote_ident or quote_literal; one with is
	-- written U&'...' UESCAPE '!', those characters (and '!') as !XXXX.
	SELECT line FROM (
		SELECT sec, -1::bigint AS ord, '-- bkpipe: ' || CASE sec WHEN 1 THEN 'create' WHEN 2 THEN 'settings' ELSE 'owner and privileges' END AS line, 0 AS head
		FROM stmt GROUP BY sec
		UNION ALL
		SELECT sec, ord, format(fmt, VARIADIC coalesce((
			SELECT array_agg(CASE WHEN a !~ '[[:cntrl:]\\]' THEN CASE substr(kinds, k::int, 1) WHEN 'I' THEN quote_ident(a) ELSE quote_literal(a) END
			       ELSE 'U&' || q || (SELECT string_agg(CASE WHEN ch ~ '[[:cntrl:]\\!]' THEN '!' || lpad(to_hex(ascii(ch)), 4, '0')
			                                                WHEN ch = q THEN ch || ch ELSE ch END, '' ORDER BY i)
			                          FROM regexp_split_to_table(a, '') WITH ORDINALITY s(ch, i)) || q || ' UESCAPE ''!'''
			       END ORDER BY k)
			FROM unnest(args) WITH ORDINALITY u(a, k),
			     LATERAL (SELECT CASE substr(kinds, k::int, 1) WHEN 'I' THEN '"' ELSE '''' END AS q) qq), '{}')), 1
		FROM stmt
	) l ORDER BY sec, head, ord
	SQL
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/backup.XXXXXX")
url=''      # the object, once s3put has stored it (and until it is proven)
proven=''
cleanup() {
	if [[ -n $url && -z $proven ]]; then
		if s3rm "$url" "$(proof_url "$url" .counts)" "$(proof_url "$url" .damaged)" \
			"$(proof_url "$url" .roles.sql)" "$(proof_url "$url" .database.sql)" >/dev/null; then
			note "deleted the unproven backup $url"
		else
			note "could not delete the unproven backup $url: delete it by hand"
		fi
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

t_all=$EPOCHREALTIME

# 1. The database's own counts, taken just before its dump.
t=$EPOCHREALTIME
pgcount "${conn[@]}" >"$tmp/db.counts" || die "$?" "could not count the rows of the database (pgcount)"
read -r tables rows < <(awk -F'\t' '{ r += $2 } END { print NR, r + 0 }' "$tmp/db.counts")
# Its size, so that s3put chooses parts large enough (the dump is smaller).
dbsize=$(psql -XAtqc 'SELECT pg_database_size(current_database())' "${conn[@]}") ||
	die "$?" "could not read the size of the database (psql)"
say "database: $tables tables, $rows rows, $(human "$dbsize") ($(elapsed "$t"))"

# 2. The dump, streamed into the bucket. --if-none-match: never over a backup.
t=$EPOCHREALTIME
st=()
key_url=$prefix$(date -u +%Y-%m-%d_%H-%M-%S)$suffix
say "dumping to $key_url"
if [[ $format == plain ]]; then
	stages='pg_dump|gzip|s3put'
	pg_dump "${dump_opts[@]}" "${conn[@]}" | gzip -"$level" | s3put --if-none-match --size-hint "$dbsize" "$key_url" ||
		st=("${PIPESTATUS[@]}")
else
	stages='pg_dump -Fc|s3put'
	pg_dump -Fc "${dump_opts[@]}" "${conn[@]}" | s3put --if-none-match --size-hint "$dbsize" "$key_url" ||
		st=("${PIPESTATUS[@]}")
fi
if ((${#st[@]})); then
	# s3put stored the object unless s3put itself failed (it aborts its
	# upload then, and with --if-none-match an existing object is not ours).
	if ((${st[-1]} == 0)); then
		url=$key_url
	fi
	exit "$(pipe_failed "the backup" "$stages" "${st[@]}")"
fi
url=$key_url
listing=$(s3ls --max 1 "$url") || die "$?" "could not list $url after storing it"
size=$(cut -f2 <<<"$listing")
say "stored $url, $(human "$size") ($(elapsed "$t"))"

# 3. Read back whole and checked: gzip CRCs or the archive's structure, and
# pg_dump's closing line; counted on the way:
#   s3get | gzcat-verify | pgcount --dump  (custom: pg_restore -f - for gzcat-verify)
t=$EPOCHREALTIME
backup_sql "reading the backup back" "$url" "$format" 'pgcount --dump' \
	pgcount --dump >"$tmp/backup.counts" || exit "$?"
say "read back intact ($(elapsed "$t"))"

# 4. What a restore needs to recreate the database as it was, beside the
# proofs: the roles, and the database's own settings and grants.
t=$EPOCHREALTIME
role_opts=(--no-role-passwords)
if ((role_passwords)); then
	role_opts=()
fi
pg_dumpall --roles-only "${role_opts[@]}" "${dumpall_conn[@]}" >"$tmp/roles.sql" ||
	die 1 "could not dump the roles (pg_dumpall --roles-only)"
grep -q '^-- PostgreSQL database cluster dump complete' "$tmp/roles.sql" ||
	die 1 "pg_dumpall --roles-only did not reach its closing line"
database_sql >"$tmp/database.sql" ||
	die "$(psql_status "$?")" "could not read the database's settings and grants (psql)"
for companion in roles.sql database.sql; do
	companion_url=$(proof_url "$url" ".$companion")
	s3put --if-none-match "$companion_url" <"$tmp/$companion" ||
		die "$?" "could not store $companion_url"
done
say "stored the roles ($(grep -c '^CREATE ROLE ' "$tmp/roles.sql"))" \
	"and the database's settings and grants beside it ($(elapsed "$t"))"

# 5. The counts, the backup's proof, last: they make the backup proven.
if cmp -s "$tmp/db.counts" "$tmp/backup.counts"; then
	say "counts: the backup holds the database's $tables tables, $rows rows"
else
	# TABLE<TAB>IN THE DATABASE<TAB>IN THE BACKUP, one line a difference.
	diff=$(LC_ALL=C join -t $'\t' -a1 -a2 -e - -o 0,1.2,2.2 "$tmp/db.counts" "$tmp/backup.counts" |
		awk -F'\t' '$2 != $3')
	n=$(wc -l <<<"$diff")
	warn "the database and the backup differ in $n $( ((n == 1)) && echo table || echo tables)" \
		"(written to during the backup?); the backup's counts are stored:"
	warn "  TABLE	IN THE DATABASE	IN THE BACKUP"
	while IFS= read -r line; do
		warn "  $line"
	done <<<"$diff"
fi
counts_url=$(proof_url "$url" .counts)
s3put --if-none-match "$counts_url" <"$tmp/backup.counts" ||
	die "$?" "could not store the counts at $counts_url"
proven=1
say "done in $(elapsed "$t_all"): $url"
printf '%s\n' "$url"
