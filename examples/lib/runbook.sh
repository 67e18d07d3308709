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
# later_failed I STATUS...: whether a stage after the I-th (from 1) failed
# other than by SIGPIPE.
later_failed() {
	local j
	local -a st_=("${@:2}")
	for ((j = $1; j < ${#st_[@]}; j++)); do
		((st_[j] != 0 && st_[j] != 141)) && return 0
	done
	return 1
}

pipe_failed() {
	local what=$1 i st worst=1 failed=()
	local -a stages_
	IFS="|" read -ra stages_ <<<"$2"
	shift 2
	local -a all=("$@")
	for ((i = 1; i <= $#; i++)); do
		st=${!i}
		((st == 0)) && continue
		# Killed by SIGPIPE (141) because a later stage stopped reading.
		if ((st == 141)) && later_failed "$i" "${all[@]}"; then
			continue
		fi
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
	# NOTICEs (DROP ... IF EXISTS of nothing) are not news: cron would mail them.
	PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning" \
		psql -X -q -A -t -F "$US" -v ON_ERROR_STOP=1 -d "$db" "$@"
}

# backup_prefix: BACKUP_PREFIX [s3://backups/db/], a bucket alone taken as
# its top level (s3://backups as s3://backups/).
backup_prefix() {
	local prefix=${BACKUP_PREFIX:-s3://backups/db/}
	[[ ${prefix#s3://} == */* ]] || prefix+=/
	printf '%s\n' "$prefix"
}

# proof_url URL SUFFIX: where the proof SUFFIX (.counts, .damaged) of the
# backup at URL (s3://B/KEY) is kept: s3://B/.proofs/KEY followed by SUFFIX,
# where a listing of the backups never picks it up. For a prefix and an
# empty SUFFIX: the prefix the proofs of its backups are listed under. The
# one place the runbooks spell the layout out (bkage's is proofs_url()).
proof_url() {
	local rest=${1#s3://}
	printf 's3://%s/.proofs/%s%s\n' "${rest%%/*}" "${rest#*/}" "$2"
}

# backup_listings PREFIX DIR: the listing of the backups under PREFIX in
# DIR/listing, and of their proofs in DIR/proofs, each whole: dies when
# either fails (a part of the proofs would leave proven backups unproven).
backup_listings() {
	local proofs
	proofs=$(proof_url "$1" '')
	s3ls "$1" >"$2/listing" || die "$?" "could not list $1"
	s3ls "$proofs" >"$2/proofs" || die "$?" "could not list the proofs of the backups, $proofs"
}

# backup_url PREFIX BACKUP DIR: the URL of BACKUP (an s3:// URL, or a name
# under PREFIX); with BACKUP empty, of the newest proven backup under PREFIX
# (bkage --latest --proofs, the listings kept in DIR). Dies when a listing
# fails, or with status 1 when no backup is proven (in $(...), which set -e
# then carries out).
backup_url() {
	local prefix=$1 backup=$2 dir=$3 line st=0
	if [[ -z $backup ]]; then
		backup_listings "$prefix" "$dir"
		line=$(bkage --latest --proofs "$dir/proofs" "$dir/listing" 2>"$dir/latest.err") || st=$?
		if ((st == 1)); then
			die 1 "$prefix: $(sed 's/^bkage: //' "$dir/latest.err")"
		elif ((st)); then
			cat "$dir/latest.err" >&2
			die 2 "bkage could not read the listings of $prefix (exit $st)"
		fi
		printf '%s\n' "${line##*$'\t'}"
	elif [[ $backup == s3://* ]]; then
		printf '%s\n' "$backup"
	else
		printf '%s\n' "$prefix$backup"
	fi
}

# mark_damaged URL WHAT: writes the proof .damaged of the backup at URL, a
# line with the UTC time, this runbook and WHAT failed, so that the next
# restore, test restore, copy and health check set it aside.
mark_damaged() {
	local proof
	proof=$(proof_url "$1" .damaged)
	if printf '%s %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$prog" "$2" | s3put "$proof" >/dev/null; then
		note "marked $1 damaged ($proof): the next run takes the newest proven backup before it"
	else
		warn "could not mark $1 damaged at $proof: set it aside by hand"
	fi
}

# backup_is_damaged ERRORS STAGES STATUS...: whether a failed read of a
# backup (STAGES and their STATUS..., as for pipe_failed; ERRORS the file
# of its standard error) found the backup itself damaged: s3get read it
# whole, and gzcat-verify failed (exit 1), or a later stage reported a
# dump cut short. Not when the database or the network failed.
backup_is_damaged() {
	local errors=$1 i
	local -a stages_
	IFS="|" read -ra stages_ <<<"$2"
	shift 2
	[[ ${stages_[0]} == s3get && $1 == 0 ]] || return 1
	for ((i = 2; i <= $#; i++)); do
		[[ ${stages_[i - 1]} == gzcat-verify && ${!i} == 1 ]] && return 0
	done
	grep -qE '(input is truncated|the dump is truncated|could not uncompress data|could not read from input file: end of file|unexpected end of file)' "$errors"
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
# CMD named NAME), marks the backup damaged when it was (backup_is_damaged),
# and returns the status to exit with. Standard error is kept in
# $BACKUP_ERRORS (a file) when set, to tell.
backup_sql() {
	local what=$1 url=$2 format=$3 name=$4 stages st=() status errors=${BACKUP_ERRORS:-/dev/null}
	shift 4
	if [[ $format == plain ]]; then
		stages="s3get|gzcat-verify|$name"
		{ s3get "$url" | gzcat-verify | "$@" || st=("${PIPESTATUS[@]}"); } 2> >(tee "$errors" >&2)
	else
		stages="s3get|pg_restore -f -|$name"
		{ s3get "$url" | pg_restore -f - | "$@" || st=("${PIPESTATUS[@]}"); } 2> >(tee "$errors" >&2)
	fi
	wait "$!" 2>/dev/null || true
	if ((${#st[@]})); then
		status=$(pipe_failed "$what" "$stages" "${st[@]}")
		if [[ -n ${BACKUP_ERRORS:-} ]] && backup_is_damaged "$errors" "$stages" "${st[@]}"; then
			mark_damaged "$url" "$what failed: $(damage_of "$errors")"
		fi
		return "$status"
	fi
}

# damage_of ERRORS: the first message of ERRORS that says how a backup is
# damaged, for its .damaged note.
damage_of() {
	grep -m 1 -E 'corrupted|truncated|could not|unexpected end' "$1" || echo 'damaged'
}
