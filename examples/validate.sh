#!/usr/bin/env bash
# validate.sh: the test restore. Restores a backup into a scratch database,
# compares the row counts, drops it. See --help.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/runbook.sh
. "$(dirname "$(readlink -f "$0")")/lib/runbook.sh" || exit 2

usage() {
	cat <<'EOF'
Usage: validate.sh [-q] [--no-owner] [BACKUP]

The test restore, for a weekly cron job: proves that a backup restores, not
only that it exists.

  1. restores BACKUP (an s3:// URL, or a name under BACKUP_PREFIX), or else
     the newest proven backup (as restore.sh picks it), into a scratch
     database with restore.sh: one transaction, the format told by the name
     (.sql.gz through gzcat-verify and pgfeed -1, .dump through pg_restore -1);
  2. compares the row counts of every table with those stored by backup.sh
     (s3://B/.proofs/KEY.counts), or with the backup's own (pgcount --dump)
     when it has none;
  3. drops the scratch database, whether the restore worked or not.

A backup that fails, damaged or cut short (restore.sh marks it) or with
counts that differ from its own, is marked damaged: a note at
s3://B/.proofs/KEY.damaged. The next run, restore.sh and the health check
then take the newest proven backup before it, and health-check.sh reports
CRITICAL until a newer backup is proven. A restore that the server refused
(a missing role or extension on RESTORE_SERVER) marks nothing: the fault
may be the server's.

restore.sh creates the roles of the backup that RESTORE_SERVER lacks
(without passwords, unless backup.sh kept them): they stay when the scratch
database is dropped, and the next run finds them there. --no-owner creates
none.

It prints how long the restore took: the figure a recovery time objective
is measured against.

Options:
  --no-owner    skip ownership and privileges, as restore.sh --no-owner
  -q, --quiet   print nothing unless something fails (for cron, which
                mails what it prints)
  -h, --help    show this help and exit

Environment (defaults in brackets):
  VALIDATE_DB      the scratch database, letters, digits and _; it must not
                   exist [bkpipe_validate_YYYYMMDD_HHMMSS_PID]
  RESTORE_SERVER   the server to restore on: a libpq URI or conninfo of any
                   database there [DATABASE_URL, else libpq's PG* variables]
  BACKUP_PREFIX, RESTORE_NO_OWNER, COUNT_TOLERANCE, AWS_*
                   as for restore.sh (see restore.sh --help)
  PATH             must reach restore.sh's tools and psql; restore.sh is
                   taken from beside this script

Exit status (restore.sh's):
  0  the backup restored and its counts match
  1  it did not: damaged or incomplete, refused by the server, or counts
     that differ (printed); or no backup is proven
  2  usage or configuration error, or VALIDATE_DB exists
  3  network or server trouble outlived the retries

Example (crontab: Sundays at 05:00; cron mails the output when it fails):
  0 5 * * 0  BACKUP_PREFIX=s3://backups/app/ RESTORE_SERVER=postgresql://restore-test/postgres /usr/local/share/bkpipe/validate.sh -q
EOF
}

args=()
backup=''
while (($#)); do
	case $1 in
	--no-owner) args+=(--no-owner) ;;
	-q | --quiet) quiet=1 ;;
	-h | --help) usage; exit 0 ;;
	-*) die 2 "unknown option: $1 (see --help)" ;;
	*) [[ -z $backup ]] || die 2 "one BACKUP at most (see --help)"; backup=$1 ;;
	esac
	shift
done

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
scratch=${VALIDATE_DB:-bkpipe_validate_$(date -u +%Y%m%d_%H%M%S)_$$}
[[ $scratch =~ ^[A-Za-z_][A-Za-z0-9_]{0,62}$ ]] ||
	die 2 "VALIDATE_DB must be letters, digits and _ (at most 63), not '$scratch'"
maint=${RESTORE_SERVER:-${DATABASE_URL:-}}
maint=${maint:-dbname=${PGDATABASE:-postgres}}
need psql s3ls s3put bkage

# The backup, named here so that the report names it.
prefix=$(backup_prefix)
work=$(mktemp -d "${TMPDIR:-/tmp}/validate.XXXXXX")
trap 'rm -rf "$work"' EXIT
backup=$(backup_url "$prefix" "$backup" "$work") || die "$?" "FAILED: no backup to validate"

exists=$(sql "$maint" -v db="$scratch" <<<"SELECT count(*) FROM pg_database WHERE datname = :'db'") ||
	die 3 "could not reach the server to restore on (RESTORE_SERVER)"
((exists == 0)) || die 2 "the scratch database $scratch exists: drop it, or set VALIDATE_DB to another name"

dropped=''
drop_scratch() {
	[[ -z $dropped ]] || return 0
	dropped=1
	# restore.sh drops a database it created when the restore fails; one
	# whose counts differ, it keeps for inspection: not a scratch one.
	if ! sql "$maint" -v db="$scratch" <<<'DROP DATABASE IF EXISTS :"db"'; then
		note "could not drop the scratch database $scratch: drop it by hand"
		return 1
	fi
}
# restore.sh's report is kept, to tell why it failed; with -q, it is shown
# only then.
log=$work/restore.log
trap 'drop_scratch; rm -rf "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
t=$EPOCHREALTIME
set +e
if ((quiet)); then
	RESTORE_DB=$scratch "$here/restore.sh" "${args[@]}" "$backup" >/dev/null 2>"$log"
	status=$?
else
	{ RESTORE_DB=$scratch "$here/restore.sh" "${args[@]}" "$backup" >/dev/null; } 2> >(tee "$log" >&2)
	status=$?
	wait "$!" 2>/dev/null
fi
set -e
took=$(elapsed "$t")
drop_scratch || true
if ((status)); then
	((quiet == 0)) || cat "$log" >&2
	# restore.sh marks a backup it found damaged; counts that differ from its
	# own are the backup's fault too.
	if ((status == 1)) && grep -q '^restore.sh: the counts differ from the backup' "$log"; then
		mark_damaged "$backup" "the test restore failed: $(grep -m 1 '^restore.sh: the counts differ' "$log" | sed 's/^restore.sh: //')"
	fi
	die "$status" "FAILED: $backup did not pass the test restore (exit $status, after $took)"
fi
say "OK: $backup restores in $took and its counts match; scratch database $scratch dropped"
