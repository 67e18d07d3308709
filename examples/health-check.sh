#!/usr/bin/env bash
# health-check.sh: is the newest backup fresh and of a plausible size?
# For cron, Nagios and Prometheus. See --help.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/runbook.sh
. "$(dirname "$(readlink -f "$0")")/lib/runbook.sh" || exit 3

usage() {
	cat <<'EOF'
Usage: health-check.sh [--cron | --nagios | --prometheus FILE]

Checks the backups under BACKUP_PREFIX with bkage --proofs, against their
proofs under s3://B/.proofs/KEY (for BACKUP_PREFIX s3://B/KEY): the newest
proven backup (counted by backup.sh, and not found damaged since) must be
younger than HEALTH_CRITICAL and at least HEALTH_MIN_SIZE, and not much
smaller than the proven one before. A damaged backup newer than it (as
validate.sh or restore.sh mark one) is CRITICAL; newer unproven ones (in
progress) are named, not judged. A listing that fails, or finds no proven
backup, is CRITICAL: never OK. Three ways to run it:

  --cron            (the default) print nothing when all is well; otherwise
                    the report, for cron to mail, or mail it to MAIL_TO
  --nagios          the one-line report with performance data, as a Nagios
                    (or Icinga, Sensu) plugin
  --prometheus FILE write the metrics for node_exporter's textfile collector
                    to FILE, atomically (bkpipe_backup_last_timestamp_seconds,
                    bkpipe_backup_last_size_bytes, bkpipe_backups_found,
                    bkpipe_backups_proven, bkpipe_backups_damaged,
                    bkpipe_backup_newest_damaged, bkpipe_backup_status);
                    alert rules: see bkage(1)

  -h, --help        show this help and exit

Environment (defaults in brackets):
  BACKUP_PREFIX     where the backups are, an s3:// prefix [s3://backups/db/]
  BACKUP_NAME_TIME  take each backup's time from its name, as bkage
                    --name-time, e.g. %Y-%m-%d_%H-%M-%S for backup.sh's
                    names [empty: the time S3 stored it]
  HEALTH_CRITICAL   the newest older than this is CRITICAL [26h]
  HEALTH_WARNING    the newest older than this is WARNING [none]
  HEALTH_MIN_SIZE   the newest smaller than this is CRITICAL [1K]
  HEALTH_MAX_SHRINK the newest more than this many percent smaller than the
                    one before is WARNING [50]; empty: no such check
  HEALTH_MIN_COUNT  fewer proven backups than this is WARNING [none]
  MAIL_TO           --cron: mail the report there with mail(1), instead of
                    printing it [none]
  AWS_*             the S3 credentials and endpoint, as s3ls(1) describes

Exit status (the Nagios plugin convention):
  0 OK, 1 WARNING, 2 CRITICAL (also: the listing failed, or found no
  backup), 3 UNKNOWN (a bad setting, an unreadable listing)
  --prometheus: 0 once the metrics are written from a whole listing, 2 when
  the listing failed (the metrics then say CRITICAL, no backups), 3 when
  they could not be written

Examples:
  crontab:   0 8 * * *  MAIL_TO=dba@example.com BACKUP_PREFIX=s3://backups/app/ /usr/local/share/bkpipe/health-check.sh
             */15 * * * *  /usr/local/share/bkpipe/health-check.sh --prometheus /var/lib/node_exporter/bkpipe.prom
  Nagios:    command_line  /usr/bin/env BACKUP_PREFIX=$ARG1$ /usr/local/share/bkpipe/health-check.sh --nagios
EOF
}

unknown() {
	printf 'BACKUP UNKNOWN - %s: %s\n' "$prog" "$*"
	exit 3
}

mode=cron
file=''
while (($#)); do
	case $1 in
	--cron) mode=cron ;;
	--nagios) mode=nagios ;;
	--prometheus) (($# >= 2)) || unknown "--prometheus needs a FILE"; mode=prometheus; file=$2; shift ;;
	--prometheus=*) mode=prometheus; file=${1#*=} ;;
	-h | --help) usage; exit 0 ;;
	*) unknown "unknown argument: $1 (see --help)" ;;
	esac
	shift
done

prefix=$(backup_prefix)
[[ $prefix == s3://?* ]] || unknown "BACKUP_PREFIX must be an s3:// URL, not '${BACKUP_PREFIX:-}'"
bk=(bkage -c "${HEALTH_CRITICAL:-26h}" --min-size "${HEALTH_MIN_SIZE:-1K}")
if [[ -n ${HEALTH_WARNING:-} ]]; then
	bk+=(-w "$HEALTH_WARNING")
fi
if [[ -n ${HEALTH_MAX_SHRINK-50} ]]; then
	bk+=(--max-shrink "${HEALTH_MAX_SHRINK-50}")
fi
if [[ -n ${HEALTH_MIN_COUNT:-} ]]; then
	bk+=(--min-count "$HEALTH_MIN_COUNT")
fi
if [[ -n ${BACKUP_NAME_TIME:-} ]]; then
	bk+=(--name-time "$BACKUP_NAME_TIME")
fi
for tool in s3ls bkage; do
	command -v "$tool" >/dev/null || unknown "$tool is not on PATH"
done

# The listings first, whole: bkage must not judge a partial one.
work=$(mktemp -d "${TMPDIR:-/tmp}/health-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
proofs=$(proof_url "$prefix" '')
listed=0
s3ls "$prefix" >"$work/listing" 2>"$work/errors" || listed=$?
if ((listed)); then
	problem="could not list $prefix (s3ls exited $listed): $(head -n 1 "$work/errors")"
else
	s3ls "$proofs" >"$work/proofs" 2>"$work/errors" || listed=$?
	((listed == 0)) ||
		problem="could not list the proofs $proofs (s3ls exited $listed): $(head -n 1 "$work/errors")"
fi
if ((listed)); then
	: >"$work/listing"
	: >"$work/proofs"
fi
bk+=(--proofs "$work/proofs" "$work/listing")

case $mode in
prometheus)
	status=0
	"${bk[@]}" --format prometheus -o "$file" || status=$?
	if ((status == 3)); then
		note "bkage failed (UNKNOWN, see above): no metrics written to $file"
		exit 3
	fi
	if ((listed)); then
		note "$problem"
		exit 2
	fi
	exit 0
	;;
esac

status=0
report=$("${bk[@]}") || status=$?
if ((listed)); then
	# The first line is the one Nagios shows: it names the real problem.
	report="BKAGE CRITICAL - $problem"$'\n'"$report"
	((status >= 2)) || status=2
fi

if [[ $mode == nagios ]]; then
	printf '%s\n' "$report"
	exit "$status"
fi
# cron: quiet when OK.
((status)) || exit 0
if [[ -n ${MAIL_TO:-} ]]; then
	subject="backup $(awk 'NR == 1 { print $2; exit }' <<<"$report"): $prefix"
	if printf '%s\n' "$report" | mail -s "$subject" "$MAIL_TO"; then
		exit "$status"
	fi
	note "could not mail the report to $MAIL_TO; here it is:"
fi
printf '%s\n' "$report"
exit "$status"
