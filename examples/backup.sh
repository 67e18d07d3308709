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
  4. stores those counts as the backup's proof, for restore.sh and
     validate.sh to compare a restored database with: the backup
     s3://B/KEY has its counts at s3://B/.proofs/KEY.counts, apart, so that
     a listing of PREFIX holds backups and nothing else. When the database
     was written to during the backup, its counts and the backup's differ: the
     tables are listed as a warning and the backup's own counts are stored.

A backup that fails any step is deleted again, with any proof of it, so
restore.sh never picks up an unproven backup: a backup without its .counts
was never proven, and one with a .damaged (written by validate.sh or
restore.sh) was found damaged since. The URL of the new backup is printed
on standard output; what was done, on stderr.

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
  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL,
  AWS_PROFILE, ...  the S3 credentials and endpoint, as s3ls(1) describes
                   (AWS_ENDPOINT_URL for MinIO, Ceph, Cloudflare R2)
  PATH             must reach pg_dump, pg_restore, psql, gzip, pgcount, s3put,
                   s3get, gzcat-verify, s3ls and s3rm

Exit status:
  0  the backup is stored, read back intact, and its counts stored
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
case $format in
plain) suffix=.sql.gz ;;
custom) suffix=.dump ;;
*) die 2 "--format must be plain or custom, not '$format'" ;;
esac
read -ra dump_opts <<<"${PG_DUMP_OPTIONS:-}"
# The connection, when DATABASE_URL gives one; pg_dump and pgcount both take
# it as their database argument, and use the PG* variables without it.
conn=()
if [[ -n ${DATABASE_URL:-} ]]; then
	conn=("$DATABASE_URL")
fi
need pg_dump pg_restore psql gzip pgcount s3put s3get gzcat-verify s3ls s3rm numfmt

tmp=$(mktemp -d "${TMPDIR:-/tmp}/backup.XXXXXX")
url=''      # the object, once s3put has stored it (and until it is proven)
proven=''
cleanup() {
	if [[ -n $url && -z $proven ]]; then
		if s3rm "$url" "$(proof_url "$url" .counts)" "$(proof_url "$url" .damaged)" >/dev/null; then
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

# 4. The counts, the backup's proof.
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
