#!/usr/bin/env bash
# retention.sh: delete the backups older than the retention period, never
# the newest ones. A dry run unless told --delete. See --help.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/runbook.sh
. "$(dirname "$(readlink -f "$0")")/lib/runbook.sh" || exit 2

usage() {
	cat <<'EOF'
Usage: retention.sh [-q] [--delete]

Selects the backups under BACKUP_PREFIX older than RETENTION, except the
newest RETENTION_KEEP proven ones whatever their age, each with its proofs
(s3://B/.proofs/KEY.counts and .damaged, for BACKUP_PREFIX s3://B/...), and
prints their URLs:

  s3ls PREFIX >listing && s3ls PROOFS >proofs &&
  bkage --expired RETENTION --keep RETENTION_KEEP --proofs proofs listing | s3rm -n

That is a dry run, the default: nothing is deleted. With --delete, they are
deleted (s3rm). Both listings are taken whole before anything is selected,
so a listing that fails deletes nothing. Only proven backups (counted by
backup.sh, not found damaged since) are kept and counted by RETENTION_KEEP;
bkage never selects the newest proven backup, nor an unproven one newer than
it (in progress). Damaged backups, and unproven ones older than the newest
proven, go once older than RETENTION.

Options:
  --delete      delete them, instead of printing what would be deleted
  -q, --quiet   print only errors on stderr
  -h, --help    show this help and exit

Environment (defaults in brackets):
  BACKUP_PREFIX     where the backups are, an s3:// prefix [s3://backups/db/]
  BACKUP_NAME_TIME  take each backup's time from its name, as bkage
                    --name-time: %Y-%m-%d_%H-%M-%S for backup.sh's names
                    [empty: the time S3 stored it]
  RETENTION         how old a backup may get, as bkage durations: 30d, 8w [30d]
  RETENTION_KEEP    the newest this many proven backups are kept whatever
                    their age [7]
  AWS_*             the S3 credentials and endpoint, as s3ls(1) describes
  (For daily, weekly and monthly generations, see bkage --keep-daily.)

Standard output: the URLs that would be deleted (dry run) or were deleted.

Exit status:
  0  done (or nothing to do)
  1  the store said no: a key could not be deleted, a listing was refused
  2  usage or configuration error
  3  network or server trouble outlived the retries

Example (crontab, after the nightly backup):
  30 4 * * *  BACKUP_PREFIX=s3://backups/app/ /usr/local/share/bkpipe/retention.sh -q --delete
EOF
}

delete=0
while (($#)); do
	case $1 in
	--delete) delete=1 ;;
	-n | --dry-run) delete=0 ;;
	-q | --quiet) quiet=1 ;;
	-h | --help) usage; exit 0 ;;
	*) die 2 "unknown argument: $1 (see --help)" ;;
	esac
	shift
done

prefix=$(backup_prefix)
retention=${RETENTION:-30d}
keep=${RETENTION_KEEP:-7}
[[ $prefix == s3://?* ]] || die 2 "BACKUP_PREFIX must be an s3:// URL, not '${BACKUP_PREFIX:-}'"
[[ $keep =~ ^[1-9][0-9]*$ ]] || die 2 "RETENTION_KEEP must be 1 or more, not '$keep'"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/retention.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
bk=(bkage --expired "$retention" --keep "$keep" --proofs "$tmp/proofs")
if [[ -n ${BACKUP_NAME_TIME:-} ]]; then
	bk+=(--name-time "$BACKUP_NAME_TIME")
fi
need s3ls bkage s3rm

# The whole listings first: a partial one must not decide anything.
proofs=$(proof_url "$prefix" '')
s3ls "$prefix" >"$tmp/listing" || die "$?" "could not list $prefix; nothing was deleted"
s3ls "$proofs" >"$tmp/proofs" || die "$?" "could not list the proofs $proofs; nothing was deleted"
status=0
"${bk[@]}" "$tmp/listing" >"$tmp/objects" || status=$?
# bkage: 3 is a bad setting or a line it cannot read (it says which).
((status == 0)) || die 2 "bkage could not select the expired backups (exit $status); nothing was deleted"

# Each expired backup is followed by its proofs.
backups=$(awk -F'\t' -v p="$proofs" 'index($NF, p) != 1' "$tmp/objects" | grep -c . || true)
objects=$(grep -c . "$tmp/objects" || true)
total=$(grep -c . "$tmp/listing" || true)

if ((backups == 0)); then
	say "nothing to delete: none of the $total backups under $prefix is older than $retention" \
		"beyond the newest $keep proven"
	exit 0
fi
if ((delete == 0)); then
	s3rm -n <"$tmp/objects" || die "$?" "s3rm -n failed"
	say "dry run: would delete $backups of the $total backups under $prefix ($objects objects with" \
		"their proofs), older than $retention and not among the newest $keep proven; --delete deletes them"
	exit 0
fi
s3rm <"$tmp/objects" || die "$?" "s3rm could not delete every key (see above); run again to retry"
awk -F'\t' '{ print $NF }' "$tmp/objects"
say "deleted $backups of the $total backups under $prefix ($objects objects with their proofs)," \
	"older than $retention; kept the newest $keep proven and the younger ones"
