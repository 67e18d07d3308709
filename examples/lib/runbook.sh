# shellcheck shell=bash
# lib/runbook.sh: the plumbing the runbooks of examples/ share (messages,
# timings, failed pipelines, psql, finding a backup and reading it as SQL).
# The procedures stay in the runbooks; each sources this file from beside it:
#   . "$(dirname "$(readlink -f "$0")")/lib/runbook.sh"
# Every message starts with the runbook's name: "backup.sh: ...".

# The runbook's name, which starts every message.
prog=${0##*/}
# 1 after -q (--quiet): say prints nothing.
quiet=0
# The field separator of sql's rows: the unit separator, not whitespace, so
# that read keeps empty fields.
US=$'\x1f'

# note MESSAGE...: prints "PROG: MESSAGE" on stderr, even with -q.
note() { printf '%s: %s\n' "$prog" "$*" >&2; }

# say MESSAGE...: prints "PROG: MESSAGE" on stderr, unless -q.
say() { ((quiet)) || note "$@"; }

# warn MESSAGE...: prints "PROG: warning: MESSAGE" on stderr, even with -q.
warn() { note "warning: $*"; }

# die STATUS MESSAGE...: prints "PROG: MESSAGE" on stderr and exits with STATUS.
die() {
	local status=$1
	shift
	note "$@"
	exit "$status"
}

# need TOOL...: dies with status 2 naming the first TOOL that is not on PATH.
need() {
	local tool
	for tool; do
		command -v "$tool" >/dev/null || die 2 "$tool is not on PATH"
	done
}

# elapsed START: the time since START (an $EPOCHREALTIME), as 12.3s.
elapsed() {
	local us=$((${EPOCHREALTIME//[!0-9]/} - ${1//[!0-9]/}))
	printf '%d.%ds' $((us / 1000000)) $((us / 100000 % 10))
}

# human BYTES: BYTES as 1.5MiB (numfmt), or as "BYTES bytes" when numfmt cannot.
human() { numfmt --to=iec-i --suffix=B --format='%.1f' "$1" 2>/dev/null || echo "$1 bytes"; }

# pipe_failed WHAT STAGES STATUS...: after a failed pipeline, names the
# stages that failed (STAGES is their names separated by |, STATUS... their
# exit statuses from PIPESTATUS) and prints the status this script exits
# with: the highest of 1 (data or server said no), 2 (usage) and 3
# (network); a stage killed by SIGPIPE because a later one stopped is
# not a cause.
pipe_failed() {
	local what=$1 i st worst=1 failed=()
	local -a stages_
	IFS="|" read -ra stages_ <<<"$2"
	shift 2
	for ((i = 1; i <= $#; i++)); do
		st=${!i}
		((st == 0)) && continue
		failed+=("${stages_[i - 1]} exited $st")
		if ((st <= 3 && st > worst)); then
			worst=$st
		fi
	done
	printf -v st '%s, ' "${failed[@]}"
	printf '%s: %s failed (%s)\n' "$prog" "$what" "${st%, }" >&2
	echo "$worst"
}

# psql_status STATUS: the exit status for a failed psql: it exits 2 when it
# could not connect (3 here, as for the other tools), 1 or 3 when SQL failed.
psql_status() {
	if (($1 == 2)); then echo 3; else echo 1; fi
}

# sql CONNINFO [psql options]: runs the SQL on standard input in CONNINFO
# (empty: libpq's PG* variables); prints bare rows, fields separated by $US.
sql() {
	local db=$1
	shift
	psql -X -q -A -t -F "$US" -v ON_ERROR_STOP=1 -d "$db" "$@"
}

# backup_prefix: BACKUP_PREFIX [s3://backups/db/], a bucket alone taken as
# its top level (s3://backups as s3://backups/).
backup_prefix() {
	local prefix=${BACKUP_PREFIX:-s3://backups/db/}
	[[ ${prefix#s3://} == */* ]] || prefix+=/
	printf '%s\n' "$prefix"
}

# backup_url PREFIX MATCH BACKUP: the URL of BACKUP (an s3:// URL, or a name
# under PREFIX); with BACKUP empty, of the newest backup under PREFIX, the
# last key matching the extended regular expression MATCH (key order is time
# order for backup.sh's dated names), or nothing when none does. Dies when
# the listing fails (in $(...), which set -e then carries out).
backup_url() {
	local prefix=$1 match=$2 backup=$3 listing line
	if [[ -z $backup ]]; then
		listing=$(s3ls "$prefix") || die "$?" "could not list $prefix"
		line=$(grep -E -- "$match" <<<"$listing" | tail -n 1) || true
		[[ -z $line ]] || printf '%s\n' "${line##*$'\t'}"
	elif [[ $backup == s3://* ]]; then
		printf '%s\n' "$backup"
	else
		printf '%s\n' "$prefix$backup"
	fi
}

# backup_format URL: plain for a .sql.gz, custom for a .dump; dies (2) for
# any other name.
backup_format() {
	case $1 in
	*.sql.gz) echo plain ;;
	*.dump) echo custom ;;
	*) die 2 "$1: cannot tell the format by the name: .sql.gz (plain) or .dump (custom)" ;;
	esac
}

# backup_sql WHAT URL FORMAT NAME CMD...: pipes the backup at URL as SQL into
# CMD...: s3get | gzcat-verify | CMD (plain) or s3get | pg_restore -f - | CMD
# (custom). When that fails, says which stages did (pipe_failed: "WHAT failed",
# CMD named NAME) and returns the status to exit with.
backup_sql() {
	local what=$1 url=$2 format=$3 name=$4 stages st=()
	shift 4
	if [[ $format == plain ]]; then
		stages="s3get|gzcat-verify|$name"
		s3get "$url" | gzcat-verify | "$@" || st=("${PIPESTATUS[@]}")
	else
		stages="s3get|pg_restore -f -|$name"
		s3get "$url" | pg_restore -f - | "$@" || st=("${PIPESTATUS[@]}")
	fi
	if ((${#st[@]})); then
		return "$(pipe_failed "$what" "$stages" "${st[@]}")"
	fi
}
